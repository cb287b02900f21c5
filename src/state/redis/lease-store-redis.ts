/**
 * Named leases in Redis: a hash per name (holder, until) that expires with the lease, and a fencing
 * counter beside it under the same hash tag. Acquire and renew are scripts: "free or ours" and "still ours" are
 * checks that must hold at the moment of the write.
 *
 * The counter outlives leases (it must, for tokens to keep rising) but still has a TTL, FENCE_TTL_MS, refreshed on
 * every acquisition. A counter that lapsed restarts from the clock's milliseconds, which is above every token the
 * old one handed out unless it handed out more than one per millisecond of its life.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../../lib/clock.js";
import type { LeaseStore } from "../lease-store.js";
import type { RedisKeys } from "./redis-keys.js";
import { defineScript } from "./redis-scripts.js";

export const FENCE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Every acquisition (a renewal by acquire included) hands out a new token.
 * KEYS: lease, fence. ARGV: now, holder, ttlMs, fenceTtlMs. The fencing token, or nil when another holds it.
 */
const ACQUIRE = `
local lease, fence = KEYS[1], KEYS[2]
local now, holder, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local current = redis.call('HMGET', lease, 'holder', 'until')
if current[2] and tonumber(current[2]) > now and current[1] ~= holder then return nil end
if redis.call('EXISTS', fence) == 0 then redis.call('SET', fence, now) end
local token = redis.call('INCR', fence)
redis.call('PEXPIRE', fence, tonumber(ARGV[4]))
redis.call('HSET', lease, 'holder', holder, 'until', now + ttl)
expire(lease, ttl)
return token
`;

/** KEYS: lease. ARGV: now, holder, ttlMs. 1 when renewed. */
const RENEW = `
local lease = KEYS[1]
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[3])
local current = redis.call('HMGET', lease, 'holder', 'until')
if current[1] ~= ARGV[2] or not current[2] or tonumber(current[2]) <= now then return 0 end
redis.call('HSET', lease, 'until', now + ttl)
expire(lease, ttl)
return 1
`;

/** KEYS: lease. ARGV: holder. */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisLeaseStore implements LeaseStore {
  private readonly acquireScript;
  private readonly renewScript;
  private readonly releaseScript;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {
    this.acquireScript = defineScript(redis, ACQUIRE);
    this.renewScript = defineScript(redis, RENEW);
    this.releaseScript = defineScript(redis, RELEASE);
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const keys = [this.keys.lease.holder(name), this.keys.lease.fence(name)];
    const token = await this.acquireScript.run(keys, [this.clock.now(), holder, ttlMs, FENCE_TTL_MS]);
    return typeof token === "number" ? token : undefined;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.renewScript.run([this.keys.lease.holder(name)], [this.clock.now(), holder, ttlMs])) === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.releaseScript.run([this.keys.lease.holder(name)], [holder]);
  }
}
