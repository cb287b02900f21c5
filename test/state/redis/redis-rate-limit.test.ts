/** Rate limits on Redis: one count per caller across replicas, and a count that goes on while Redis is away. */
import { randomBytes } from "node:crypto";
import { afterEach, expect, it, vi } from "vitest";
import { systemClock } from "../../../src/lib/clock.js";
import { openRedisState, type RedisState } from "../../../src/state/redis/redis-state.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";

const MINUTE = 60_000;

describeRedis("rate limits on Redis", () => {
  const server = useRedisServer();
  const opened: RedisState[] = [];
  const replica = async (keyPrefix: string) => {
    const state = await openRedisState(server().url, { keyPrefix, encryptionKeys: [randomBytes(32)] }, systemClock);
    opened.push(state);
    return state;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it("when one caller's requests land on two replicas, then they are counted together", async () => {
    const prefix = server().keyPrefix();
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const verdicts = [];
    for (const state of [a, b, a, b]) verdicts.push(await state.rateLimits.consume("ip:203.0.113.7", 3, MINUTE));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
    expect(verdicts.map((v) => v.remaining)).toEqual([2, 1, 0, 0]);
  });

  it("when Redis is away, then each replica counts in memory and still refuses a caller over its limit", async () => {
    const state = await replica(server().keyPrefix());
    await server().halt();
    try {
      await vi.waitFor(async () => expect(state.ping()).rejects.toThrow(), { timeout: 10_000 });
      const verdicts = [];
      for (let i = 0; i < 3; i += 1) verdicts.push(await state.rateLimits.consume("client:acme", 2, MINUTE));
      expect(verdicts.map((v) => v.allowed)).toEqual([true, true, false]);
    } finally {
      await server().resume();
    }
  });
});
