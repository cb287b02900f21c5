/** The in-memory lockout store's contract: a sliding window, a lock that spends the budget, expiry and sweeping. */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { MemoryLockoutStore } from "../../src/sessions/session-lockout-store-memory.js";

const rule = { maxFailures: 3, windowMs: 10_000, cooldownMs: 60_000 };
const clock = new ManualClock();
const store = new MemoryLockoutStore(clock);
afterEach(async () => {
  await store.clear("k", clock.now());
});
afterAll(async () => store.close());

describe("MemoryLockoutStore", () => {
  it("when the Nth failure falls within the window, then the key locks for the cool-down and its count restarts", async () => {
    const t = clock.now();
    expect(await store.recordFailure("k", t, rule)).toEqual({ failures: 1 });
    expect(await store.recordFailure("k", t + 5_000, rule)).toEqual({ failures: 2 });
    expect(await store.recordFailure("k", t + 9_999, rule)).toEqual({ failures: 0, lockedUntil: t + 9_999 + 60_000 });
    expect(await store.get("k", t + 9_999 + 59_999, rule.windowMs)).toEqual({ failures: 0, lockedUntil: t + 69_999 });
    expect(await store.get("k", t + 9_999 + 60_000, rule.windowMs)).toEqual({ failures: 0 });
  });

  it("when a failure is exactly one window older than the newest, then it no longer counts", async () => {
    const t = clock.now();
    await store.recordFailure("k", t, rule);
    await store.recordFailure("k", t + 1, rule);
    expect(await store.recordFailure("k", t + 10_000, rule)).toEqual({ failures: 2 });
  });

  it("when cleared, then true if there was a lock or failure, false after", async () => {
    await store.recordFailure("k", clock.now(), rule);
    expect(await store.clear("k", clock.now())).toBe(true);
    expect(await store.clear("k", clock.now())).toBe(false);
  });

  it("when entries have outlived their window and lock, then the sweep removes them", async () => {
    const t = clock.now();
    for (let i = 0; i < 50; i += 1) await store.recordFailure(`short-${i}`, t, rule);
    for (let i = 0; i < 3; i += 1) await store.recordFailure("locked", t, rule);
    clock.set(t + rule.windowMs);
    expect(store.sweep()).toBe(50);
    clock.set(t + rule.cooldownMs);
    expect(store.sweep()).toBe(1);
  });
});
