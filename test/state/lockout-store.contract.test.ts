/** The LockoutStore contract, for every backend: a sliding window, a lock that spends the budget, clearing. */
import { describe, expect, it } from "vitest";
import { backends, stateFixture } from "../helpers/state-backends.js";

const rule = { maxFailures: 3, windowMs: 10_000, cooldownMs: 60_000 };

describe.each(backends)("LockoutStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const store = () => ctx.state.lockout;

  it("when the Nth failure falls within the window, then the key locks for the cool-down and its count restarts", async () => {
    const t = ctx.clock.now();
    expect(await store().recordFailure("k", t, rule)).toEqual({ failures: 1 });
    expect(await store().recordFailure("k", t + 5_000, rule)).toEqual({ failures: 2 });
    expect(await store().recordFailure("k", t + 9_999, rule)).toEqual({ failures: 0, lockedUntil: t + 9_999 + 60_000 });
    ctx.clock.set(t + 9_999 + 59_999);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 0, lockedUntil: t + 69_999 });
    ctx.clock.set(t + 9_999 + 60_000);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 0 });
  });

  it("when a failure is exactly one window older than the newest, then it no longer counts", async () => {
    const t = ctx.clock.now();
    await store().recordFailure("k", t, rule);
    await store().recordFailure("k", t + 1, rule);
    expect(await store().recordFailure("k", t + 10_000, rule)).toEqual({ failures: 2 });
  });

  it("when the window passes, then get counts only the failures within it", async () => {
    const t = ctx.clock.now();
    await store().recordFailure("k", t, rule);
    await store().recordFailure("k", t + 4_000, rule);
    ctx.clock.set(t + 5_000);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 2 });
    ctx.clock.set(t + 10_000);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 1 });
    ctx.clock.set(t + 14_000);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 0 });
  });

  it("when failures race, then every one is counted and the lock is set once", async () => {
    const t = ctx.clock.now();
    const states = await Promise.all([1, 2, 3].map(() => store().recordFailure("k", t, rule)));
    expect(states.filter((s) => s.lockedUntil !== undefined && s.failures === 0)).toHaveLength(1);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 0, lockedUntil: t + rule.cooldownMs });
  });

  it("when keys differ, then their budgets do not mix", async () => {
    const t = ctx.clock.now();
    await store().recordFailure("a", t, rule);
    await store().recordFailure("a", t, rule);
    expect(await store().recordFailure("b", t, rule)).toEqual({ failures: 1 });
  });

  it("when cleared, then true if there was a lock or failure, false after, and the key is fresh again", async () => {
    const t = ctx.clock.now();
    for (let i = 0; i < 3; i += 1) await store().recordFailure("k", t, rule);
    expect(await store().clear("k")).toBe(true);
    expect(await store().get("k", rule.windowMs)).toEqual({ failures: 0 });
    expect(await store().clear("k")).toBe(false);
  });
});
