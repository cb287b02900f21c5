/**
 * Retained session images in Redis, sealed with AES-256-GCM (biometric data). Three keys under the {images} tag:
 * the sealed bytes, which expire exactly at retainUntil, so Redis itself never holds an image past its retention
 * even when no replica runs the sweeper; a small meta hash (owner, retainUntil) and a ZSET of retainUntil, which
 * outlive the bytes by META_GRACE_MS so the sweeper still finds an image whose retention ended and reports its
 * deletion, as it does with the memory store.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { DueImage, ImageStore, RetainedImage } from "../image-store.js";
import type { StateCipher } from "../state-crypto.js";
import type { RedisKeys } from "./redis-keys.js";
import { EXPIRY_GRACE_MS } from "./redis-scripts.js";

/** How long the sweeper has, after an image's retention ends, to find it in the index and report its deletion. */
export const META_GRACE_MS = 24 * 60 * 60 * 1000;

const meta = z.object({ clientId: z.string(), retainUntil: z.coerce.number() });

export class RedisImageStore implements ImageStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: StateCipher,
    private readonly clock: Clock,
  ) {}

  async put(image: RetainedImage): Promise<void> {
    const { bytes, meta: metaKey, due } = this.keys.images;
    const ttl = image.retainUntil - this.clock.now();
    const id = image.sessionId;
    if (ttl <= 0) {
      await this.delete(id);
      return;
    }
    const sealed = this.cipher.seal(image.bytes, context(id));
    await this.redis
      .multi()
      .set(bytes(id), sealed, "PX", ttl + EXPIRY_GRACE_MS)
      .del(metaKey(id))
      .hset(metaKey(id), "clientId", image.clientId, "retainUntil", String(image.retainUntil))
      .pexpire(metaKey(id), ttl + META_GRACE_MS)
      .zadd(due, image.retainUntil, id)
      .pexpire(due, ttl + META_GRACE_MS, "NX")
      .pexpire(due, ttl + META_GRACE_MS, "GT")
      .exec();
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
    const { bytes, meta: metaKey, due } = this.keys.images;
    const reply = await this.redis.multi().del(bytes(sessionId), metaKey(sessionId)).zrem(due, sessionId).exec();
    return Number(reply?.[0]?.[1] ?? 0) > 0 || Number(reply?.[1]?.[1] ?? 0) > 0;
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
