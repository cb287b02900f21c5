/**
 * Retained session images in Redis, sealed with AES-256-GCM (biometric data). Three keys under the {images} tag:
 * the sealed bytes, which expire exactly at retainUntil, so Redis itself never holds an image past its retention
 * even when no replica runs the sweeper; a small meta hash (owner, retainUntil) and a ZSET of retainUntil, which
 * outlive the bytes by META_GRACE_MS so the sweeper still finds an image whose retention ended and reports its
 * deletion, as it does with the memory store.
 *
 * The byte bound is one count for the whole deployment: a hash of each held image's size with a "#total" field (no
 * session id can be "#total": ids are key parts, which hold no "#") and a ZSET of the held ids by retainUntil. Put
 * checks and writes it in one script with the image, so replicas cannot overshoot it together, and first takes out
 * images whose retention ended, so a lapsed image stops counting even when no replica runs the sweeper.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { DueImage, ImageStore, RetainedImage } from "../image-store.js";
import type { StateCipher } from "../state-crypto.js";
import type { RedisKeys } from "./redis-keys.js";
import { defineScript, type RedisScript } from "./redis-scripts.js";

/** How long the sweeper has, after an image's retention ends, to find it in the index and report its deletion. */
export const META_GRACE_MS = 24 * 60 * 60 * 1000;

/** Lapsed images a put takes out of the count at most (the next puts take the rest): bounded script work. */
const RELEASE_BATCH = 64;

/** Takes an image out of the byte count, if it is in it. */
const UNCOUNT = `
local function uncount(held, sizes, id)
  local size = redis.call('HGET', sizes, id)
  if size then
    -- 0 - size, not -size: Lua negates 0 to -0, which HINCRBY refuses as "-0".
    redis.call('HINCRBY', sizes, '#total', 0 - tonumber(size))
    redis.call('HDEL', sizes, id)
  end
  redis.call('ZREM', held, id)
  -- With nothing held the count is 0: the hash goes with the ZSET, so neither outlives the other.
  if redis.call('EXISTS', held) == 0 then redis.call('DEL', sizes) end
end
`;

/**
 * Keeps an image unless the bytes held would pass the bound; answers 1 when kept, 0 when it does not fit.
 * KEYS: bytes, meta, due, held, sizes. ARGV: now, id, sealed, clientId, retainUntil, size, maxBytes, metaGraceMs.
 */
const PUT = `${UNCOUNT}
local bytesKey, metaKey, due, held, sizes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, id, retainUntil, size, max, metaGrace = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
for _, lapsed in ipairs(redis.call('ZRANGEBYSCORE', held, '-inf', now, 'LIMIT', 0, ${RELEASE_BATCH})) do uncount(held, sizes, lapsed) end
local previous = tonumber(redis.call('HGET', sizes, id)) or 0
local total = tonumber(redis.call('HGET', sizes, '#total')) or 0
if total - previous + size > max then return 0 end
local ttl = retainUntil - now
redis.call('SET', bytesKey, ARGV[3], 'PX', ttl + GRACE)
redis.call('DEL', metaKey)
redis.call('HSET', metaKey, 'clientId', ARGV[4], 'retainUntil', ARGV[5])
redis.call('PEXPIRE', metaKey, ttl + metaGrace)
redis.call('ZADD', due, retainUntil, id)
bump(due, ttl + metaGrace - GRACE)
redis.call('HSET', sizes, id, size)
redis.call('HINCRBY', sizes, '#total', size - previous)
redis.call('ZADD', held, retainUntil, id)
bump(sizes, ttl)
-- One TTL for both: the count and the ids it counts expire together.
redis.call('PEXPIRE', held, redis.call('PTTL', sizes))
return 1
`;

/** KEYS: bytes, meta, due, held, sizes. ARGV: id. Answers how many of bytes and meta were there. */
const DELETE = `${UNCOUNT}
local removed = redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
uncount(KEYS[4], KEYS[5], ARGV[1])
return removed
`;

const meta = z.object({ clientId: z.string(), retainUntil: z.coerce.number() });

export class RedisImageStore implements ImageStore {
  private readonly putScript: RedisScript;
  private readonly deleteScript: RedisScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: StateCipher,
    private readonly clock: Clock,
  ) {
    this.putScript = defineScript(redis, PUT);
    this.deleteScript = defineScript(redis, DELETE);
  }

  async put(image: RetainedImage, maxBytes = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    const now = this.clock.now();
    const id = image.sessionId;
    if (image.retainUntil <= now) {
      await this.delete(id);
      return true;
    }
    const sealed = this.cipher.seal(image.bytes, context(id));
    const args = [now, id, sealed, image.clientId, image.retainUntil, image.bytes.length, maxBytes, META_GRACE_MS];
    return (await this.putScript.run(this.keyList(id), args)) === 1;
  }

  async get(sessionId: string): Promise<RetainedImage | undefined> {
    const reply = await this.redis.multi().getBuffer(this.keys.images.bytes(sessionId)).hgetall(this.keys.images.meta(sessionId)).exec();
    const sealed = reply?.[0]?.[1];
    const stored = meta.safeParse(reply?.[1]?.[1]);
    if (!Buffer.isBuffer(sealed) || !stored.success || stored.data.retainUntil <= this.clock.now()) return undefined;
    const bytes = this.cipher.open(sealed, context(sessionId));
    return { sessionId, clientId: stored.data.clientId, bytes: new Uint8Array(bytes), retainUntil: stored.data.retainUntil };
  }

  async delete(sessionId: string): Promise<boolean> {
    return Number(await this.deleteScript.run(this.keyList(sessionId), [sessionId])) > 0;
  }

  private keyList(id: string): string[] {
    const { bytes, meta: metaKey, due, held, sizes } = this.keys.images;
    return [bytes(id), metaKey(id), due, held, sizes];
  }

  async due(limit: number): Promise<DueImage[]> {
    const found: DueImage[] = [];
    // Stale index entries (meta gone after the grace period) are dropped and the next ones looked at.
    for (let stale = 1; stale > 0 && found.length < limit; ) {
      const ids = await this.redis.zrangebyscore(this.keys.images.due, "-inf", this.clock.now(), "LIMIT", found.length, limit - found.length);
      if (ids.length === 0) break;
      const tx = this.redis.multi();
      for (const id of ids) tx.hget(this.keys.images.meta(id), "clientId");
      const owners = (await tx.exec()) ?? [];
      const gone: string[] = [];
      ids.forEach((sessionId, i) => {
        const clientId = owners[i]?.[1];
        if (typeof clientId === "string") found.push({ sessionId, clientId });
        else gone.push(sessionId);
      });
      if (gone.length > 0) await this.redis.zrem(this.keys.images.due, ...gone);
      stale = gone.length;
    }
    return found;
  }
}

/** Binds the sealed bytes to their session: moved under another session's key, they do not open. */
const context = (sessionId: string) => `image:${sessionId}`;
