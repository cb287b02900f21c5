/**
 * The RateLimitStore contract, for every backend: fixed windows per key, starting at the first request. Windows
 * follow the wall clock (Redis' expiry, not the test's ManualClock), so the one test
 * that needs a window to end uses a one-second window and waits until the store says it has ended.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { backends, stateFixture } from "../helpers/state-backends.js";

const MINUTE = 60_000;

describe.each(backends)("RateLimitStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const store = () => ctx.state.rateLimits;

  it("when a key is counted up to its limit, then each request is allowed with one fewer remaining, and the next is refused", async () => {
    const verdicts = [];
    for (let i = 0; i < 4; i += 1) verdicts.push(await store().consume("ip:1", 3, MINUTE));
    expect(verdicts.map(({ allowed, remaining }) => ({ allowed, remaining }))).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
      { allowed: false, remaining: 0 },
    ]);
    for (const { resetInMs } of verdicts) {
      expect(resetInMs).toBeGreaterThan(0);
      expect(resetInMs).toBeLessThanOrEqual(MINUTE);
    }
  });

  it("when the window is over, then the key starts again with its whole limit", async () => {
    await store().consume("ip:1", 1, 1000);
    const refused = await store().consume("ip:1", 1, 1000);
    expect(refused.allowed).toBe(false);
    // Past the end the store itself announced (plus a margin for Redis' expiry, which it checks on access).
    await sleep(refused.resetInMs + 50);
    expect(await store().consume("ip:1", 1, 1000)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("when requests race, then each is counted once", async () => {
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => store().consume("client:acme", 6, MINUTE)));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(6);
    expect(verdicts.map((v) => v.remaining).sort((a, b) => a - b)).toEqual([0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
  });

  it("when keys differ, then their counts do not mix", async () => {
    await store().consume("ip:1", 2, MINUTE);
    await store().consume("ip:1", 2, MINUTE);
    expect(await store().consume("ip:2", 2, MINUTE)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("when a key's limit changes within its window (a caller's policy, updated), then its count goes on", async () => {
    await store().consume("client:acme", 3, MINUTE);
    await store().consume("client:acme", 3, MINUTE);
    expect(await store().consume("client:acme", 5, MINUTE)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await store().consume("client:acme", 2, MINUTE)).toMatchObject({ allowed: false, remaining: 0 });
  });

  it("when a window is not whole seconds, then the store refuses it rather than count without an end", async () => {
    await expect(store().consume("ip:1", 2, 1500)).rejects.toThrow(/whole seconds/);
  });
});
