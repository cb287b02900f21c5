/**
 * Rate-limit counters in Redis: one small hash per key with the window's count and end, shared by every replica.
 * One script, because starting a new window and counting in it must not interleave between replicas. The key lives
 * for exactly its window.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { RateLimitHit, RateLimitStore } from "../rate-limit-store.js";
import type { RedisKeys } from "./redis-keys.js";
import { defineScript } from "./redis-scripts.js";

/** KEYS: counter. ARGV: now, windowMs. [count, resetAt]. */
const HIT = `
local k = KEYS[1]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local reset = tonumber(redis.call('HGET', k, 'resetAt'))
if not reset or reset <= now then
  reset = now + window
  redis.call('HSET', k, 'count', 0, 'resetAt', reset)
  expire(k, window)
end
return { redis.call('HINCRBY', k, 'count', 1), reset }
`;

const hitReply = z.tuple([z.number(), z.number()]);

export class RedisRateLimitStore implements RateLimitStore {
  private readonly hitScript;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {
    this.hitScript = defineScript(redis, HIT);
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const [count, resetAt] = hitReply.parse(await this.hitScript.run([this.keys.rateLimit(key)], [this.clock.now(), windowMs]));
    return { count, resetAt };
  }
}
