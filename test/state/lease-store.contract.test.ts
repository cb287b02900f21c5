/** The LeaseStore contract, for every backend: one holder at a time, lapsing leases, fencing tokens that only grow. */
import { describe, expect, it } from "vitest";
import { backends, stateFixture } from "../helpers/state-backends.js";

describe.each(backends)("LeaseStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const leases = () => ctx.state.leases;

  it("when a lease is free, then the first holder takes it and another is refused while it lasts", async () => {
    expect(await leases().acquire("sweep", "a", 1000)).toEqual(expect.any(Number));
    expect(await leases().acquire("sweep", "b", 1000)).toBeUndefined();
    ctx.clock.advance(999);
    expect(await leases().acquire("sweep", "b", 1000)).toBeUndefined();
  });

  it("when a lease lapses, then another holder takes it with a greater fencing token, and the old holder can no longer renew", async () => {
    const first = await leases().acquire("sweep", "a", 1000);
    ctx.clock.advance(1000);
    const second = await leases().acquire("sweep", "b", 1000);
    expect(second).toBeGreaterThan(first!);
    expect(await leases().renew("sweep", "a", 1000)).toBe(false);
    expect(await leases().renew("sweep", "b", 1000)).toBe(true);
  });

  it("when the holder acquires again, then it keeps the lease with a greater token", async () => {
    const first = await leases().acquire("sweep", "a", 1000);
    const again = await leases().acquire("sweep", "a", 1000);
    expect(again).toBeGreaterThan(first!);
  });

  it("when the holder renews, then the lease lasts from the renewal", async () => {
    await leases().acquire("sweep", "a", 1000);
    ctx.clock.advance(800);
    expect(await leases().renew("sweep", "a", 1000)).toBe(true);
    ctx.clock.advance(800);
    expect(await leases().acquire("sweep", "b", 1000)).toBeUndefined();
    ctx.clock.advance(200);
    expect(await leases().acquire("sweep", "b", 1000)).toEqual(expect.any(Number));
  });

  it("when the holder releases, then the lease is free at once, tokens still grow; a release by someone else changes nothing", async () => {
    const first = await leases().acquire("sweep", "a", 10_000);
    await leases().release("sweep", "b");
    expect(await leases().acquire("sweep", "b", 10_000)).toBeUndefined();
    await leases().release("sweep", "a");
    expect(await leases().acquire("sweep", "b", 10_000)).toBeGreaterThan(first!);
  });

  it("when two holders race for a free lease, then exactly one gets it", async () => {
    const tokens = await Promise.all([leases().acquire("sweep", "a", 1000), leases().acquire("sweep", "b", 1000)]);
    expect(tokens.filter((t) => t !== undefined)).toHaveLength(1);
  });

  it("when names differ, then their leases are independent", async () => {
    await leases().acquire("one", "a", 1000);
    expect(await leases().acquire("two", "b", 1000)).toEqual(expect.any(Number));
  });
});
