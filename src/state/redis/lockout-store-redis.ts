/**
 * The attempt budget in Redis, per key: a ZSET of failure times and a small hash with the lock's end and the
 * entry's own end (when nothing in it matters any more), both under the key's hash tag. recordFailure is one script
 * (trim the window, add, count, maybe lock), so replicas counting failures for one subject never lose one. Both
 * keys expire when the entry stops mattering: the later of the lock's end and the newest failure's window.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { LockoutRule, LockoutState, LockoutStore } from "../lockout-store.js";
import type { RedisKeys } from "./redis-keys.js";
import { defineScript } from "./redis-scripts.js";

/**
 * An entry whose end has passed starts afresh; a lock spends the budget (the count restarts after it). The
 * answer is the state as of `at`. KEYS: failures, state. ARGV: at, windowMs, maxFailures, cooldownMs, now, member. [failures, lockedUntil or 0].
 */
const RECORD_FAILURE = `
local fails, st = KEYS[1], KEYS[2]
local at, window, maxf, cooldown, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local locked = tonumber(redis.call('HGET', st, 'lockedUntil')) or 0
if (tonumber(redis.call('HGET', st, 'expiresAt')) or 0) <= now then
  redis.call('DEL', fails)
  locked = 0
end
redis.call('ZREMRANGEBYSCORE', fails, '-inf', at - window)
redis.call('ZADD', fails, at, ARGV[6])
local held = redis.call('ZCARD', fails)
if held >= maxf then
  locked = math.max(locked, at + cooldown)
  redis.call('DEL', fails)
  held = 0
end
local exp = locked
if held > 0 then exp = math.max(exp, at + window) end
redis.call('HSET', st, 'lockedUntil', locked, 'expiresAt', exp)
-- The answer is taken before the TTL step, which may remove an entry that matters no longer (a failure older
-- than the window, recorded late).
local failures = redis.call('ZCOUNT', fails, '(' .. (at - window), at)
local ttl = exp - now
if ttl <= 0 then
  redis.call('DEL', fails, st)
else
  expire(fails, ttl)
  expire(st, ttl)
end
if locked <= at then locked = 0 end
return { failures, locked }
`;

const recordReply = z.tuple([z.number(), z.number()]);
const numberOrNull = z.string().nullable().transform((v) => (v === null ? undefined : Number(v)));

export class RedisLockoutStore implements LockoutStore {
  private readonly recordScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {
    this.recordScript = defineScript(redis, RECORD_FAILURE);
  }

  async recordFailure(key: string, at: number, rule: LockoutRule): Promise<LockoutState> {
    const keys = [this.keys.lockout.failures(key), this.keys.lockout.state(key)];
    // The member only has to be unique: two failures in the same millisecond both count.
    const args = [at, rule.windowMs, rule.maxFailures, rule.cooldownMs, this.clock.now(), `${at}:${randomUUID()}`];
    const [failures, lockedUntil] = recordReply.parse(await this.recordScript.run(keys, args));
    return lockedUntil > 0 ? { failures, lockedUntil } : { failures };
  }

  async get(key: string, windowMs: number): Promise<LockoutState> {
    const now = this.clock.now();
    const reply = await this.redis
      .multi()
      .hmget(this.keys.lockout.state(key), "expiresAt", "lockedUntil")
      .zcount(this.keys.lockout.failures(key), `(${now - windowMs}`, now)
      .exec();
    const [expiresAt, lockedUntil] = z.tuple([numberOrNull, numberOrNull]).parse(reply?.[0]?.[1]);
    if (expiresAt === undefined || expiresAt <= now) return { failures: 0 };
    const state: LockoutState = { failures: z.number().parse(reply?.[1]?.[1]) };
    if (lockedUntil !== undefined && lockedUntil > now) state.lockedUntil = lockedUntil;
    return state;
  }

  async clear(key: string): Promise<boolean> {
    const state = this.keys.lockout.state(key);
    const reply = await this.redis.multi().hget(state, "expiresAt").del(this.keys.lockout.failures(key), state).exec();
    const expiresAt = numberOrNull.parse(reply?.[0]?.[1]);
    return expiresAt !== undefined && expiresAt > this.clock.now();
  }
}
