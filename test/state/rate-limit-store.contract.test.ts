/** The RateLimitStore contract, for every backend: fixed windows per key, starting at the first hit. */
import { describe, expect, it } from "vitest";
import { backends, stateFixture } from "../helpers/state-backends.js";

describe.each(backends)("RateLimitStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const store = () => ctx.state.rateLimits;

  it("when a key is hit within its window, then the count grows and the window's end stays where the first hit put it", async () => {
    const t = ctx.clock.now();
    expect(await store().hit("ip:1", 60_000)).toEqual({ count: 1, resetAt: t + 60_000 });
    ctx.clock.advance(59_999);
    expect(await store().hit("ip:1", 60_000)).toEqual({ count: 2, resetAt: t + 60_000 });
  });

  it("when the window is over, then the next hit starts a new one at 1", async () => {
    const t = ctx.clock.now();
    await store().hit("ip:1", 60_000);
    await store().hit("ip:1", 60_000);
    ctx.clock.advance(60_000);
    expect(await store().hit("ip:1", 60_000)).toEqual({ count: 1, resetAt: t + 120_000 });
  });

  it("when hits race, then each is counted once", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => store().hit("client:acme", 60_000)));
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("when keys differ, then their counts do not mix", async () => {
    await store().hit("ip:1", 60_000);
    await store().hit("ip:1", 60_000);
    expect((await store().hit("ip:2", 60_000)).count).toBe(1);
  });
});
