/**
 * Rate limits in Redis, counted cluster-wide by rate-limiter-flexible's RateLimiterRedis on the state's command
 * connection: one string per key (`<prefix>rate:<sha256 of the key>`, INCR with a TTL of the window, set in one
 * script), so every replica counts against the same window.
 *
 * Two library features keep Redis out of the way: a key that went over its limit is refused from memory until its
 * window ends (inMemoryBlockOnConsumed), so a flood costs Redis nothing more; and while Redis cannot be reached,
 * the count goes on per replica in memory (insuranceLimiter, reached at once since the connection refuses commands
 * while down), so /healthz, /readyz and the limit itself keep answering during an outage.
 */
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { FlexibleRateLimitStore } from "../rate-limit-flexible.js";
import type { RateLimitStore, RateLimitVerdict } from "../rate-limit-store.js";
import type { RedisKeys } from "./redis-keys.js";

export class RedisRateLimitStore implements RateLimitStore {
  private readonly store: FlexibleRateLimitStore;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.store = new FlexibleRateLimitStore(
      (points, duration) =>
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: keys.rateLimitPrefix,
          points,
          duration,
          inMemoryBlockOnConsumed: points + 1,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ points, duration, keyPrefix: keys.rateLimitPrefix }),
        }),
    );
  }

  consume(key: string, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    // Caller-chosen text (an IP address, a client id) appears in key names only as a hash.
    return this.store.consume(this.keys.rateLimitMember(key), limit, windowMs);
  }
}
