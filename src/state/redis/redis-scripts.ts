/**
 * Lua scripts, run by SHA (EVALSHA) with a fallback to EVAL when the server does not know the script yet (a fresh
 * or restarted Redis, a failover), which also loads it for the next call. Scripts are used only where a
 * read-check-write must be atomic across replicas; everything else is a plain command or a MULTI.
 *
 * Every script reads "now" from its arguments, never from Redis' TIME: the stores follow the one injected Clock,
 * so a test clock and the Redis backend agree on what has lapsed.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

export type ScriptArg = string | number | Buffer;

export interface RedisScript {
  /** Runs the script; `keys` are the keys it touches (all on one hash tag), `args` everything else. */
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
}

/**
 * What every Redis TTL adds to the lifetime the data itself states. Whether something has lapsed is decided by
 * the deadline stored in the data, on the store's Clock; Redis' expiry only clears the key away afterwards. The
 * margin keeps Redis from removing a key before a replica whose clock runs a little behind sees it lapse (and keeps
 * a test's frozen clock authoritative while real milliseconds pass).
 */
export const EXPIRY_GRACE_MS = 5_000;

/**
 * Helpers every script may use. expire() sets a key's TTL to `ms` plus the grace. bump() gives a shared key (an
 * index) a TTL at least that long: NX sets one on a key without, GT only ever lengthens it, so the index outlives
 * every member it holds (Redis >= 7.0).
 */
const PRELUDE = `
local GRACE = ${EXPIRY_GRACE_MS}
local function expire(key, ms)
  redis.call('PEXPIRE', key, ms + GRACE)
end
local function bump(key, ms)
  if ms > 0 then
    redis.call('PEXPIRE', key, ms + GRACE, 'NX')
    redis.call('PEXPIRE', key, ms + GRACE, 'GT')
  end
end
`;

export function defineScript(redis: Redis, body: string): RedisScript {
  const lua = PRELUDE + body;
  const sha = createHash("sha1").update(lua).digest("hex");
  return {
    async run(keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.includes("NOSCRIPT")) throw error;
        return redis.eval(lua, keys.length, ...keys, ...args);
      }
    },
  };
}

/** HGETALL's flat [field, value, ...] reply, as a script returns it, into an object. */
export function pairsToObject(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
