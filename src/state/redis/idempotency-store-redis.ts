/**
 * Idempotent creates in Redis: one hash per (client, Idempotency-Key), named by the key's hash. A pending claim
 * holds its owner's token and lives for the lease; a completed entry holds the original response, sealed with
 * AES-256-GCM (it carries the session's auth token), and lives for the retention. Claim, complete and release are
 * each one script: they check the owner and the entry's own deadline (`until`, on the store's clock) before writing.
 * A completed entry names its session (`session`); a string key per session names the entry back, for
 * forgetSession. The two live under different slots, so they are written one after the other: the index first, so
 * an entry that names a session can always be found from it.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import { ERASED_RESPONSE, type ClaimResult, type IdempotencyStore, type StoredResponse } from "../idempotency-store.js";
import type { StateCipher } from "../state-crypto.js";
import type { RedisKeys } from "./redis-keys.js";
import { defineScript } from "./redis-scripts.js";

/** KEYS: entry. ARGV: now, fingerprint, token, leaseMs. Nil when claimed, else [state, fingerprint, response]. */
const CLAIM = `
local k = KEYS[1]
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[4])
local untilv = tonumber(redis.call('HGET', k, 'until'))
if untilv and untilv > now then return redis.call('HMGET', k, 'state', 'fingerprint', 'response') end
redis.call('DEL', k)
redis.call('HSET', k, 'state', 'pending', 'fingerprint', ARGV[2], 'token', ARGV[3], 'until', now + lease)
expire(k, lease)
return nil
`;

/** KEYS: entry. ARGV: now, token, sealed response, ttlMs, session id ('' for none). 1 when completed. */
const COMPLETE = `
local k = KEYS[1]
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[4])
local untilv = tonumber(redis.call('HGET', k, 'until'))
if not untilv or untilv <= now or redis.call('HGET', k, 'token') ~= ARGV[2] then return 0 end
redis.call('HDEL', k, 'token')
redis.call('HSET', k, 'state', 'completed', 'response', ARGV[3], 'until', now + ttl)
if ARGV[5] ~= '' then redis.call('HSET', k, 'session', ARGV[5]) end
expire(k, ttl)
return 1
`;

/** KEYS: entry. ARGV: now, session id. Drops the response of a live completed entry of that session; 1 when it did. */
const FORGET = `
local k = KEYS[1]
local untilv = tonumber(redis.call('HGET', k, 'until'))
if not untilv or untilv <= tonumber(ARGV[1]) then return 0 end
if redis.call('HGET', k, 'state') ~= 'completed' or redis.call('HGET', k, 'session') ~= ARGV[2] then return 0 end
redis.call('HDEL', k, 'response')
redis.call('HSET', k, 'state', 'forgotten')
return 1
`;

/** KEYS: entry. ARGV: now, token. */
const RELEASE = `
local k = KEYS[1]
local untilv = tonumber(redis.call('HGET', k, 'until'))
if untilv and untilv > tonumber(ARGV[1]) and redis.call('HGET', k, 'token') == ARGV[2] then redis.call('DEL', k) end
return 0
`;

/** KEYS: entry. ARGV: now, sealed erased response. A live entry becomes completed with it, keeping its expiry. */
const ERASE = `
local k = KEYS[1]
local untilv = tonumber(redis.call('HGET', k, 'until'))
if not untilv or untilv <= tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', k, 'token')
redis.call('HSET', k, 'state', 'completed', 'fingerprint', '', 'response', ARGV[2])
return 1
`;

const claimReply = z.tuple([z.enum(["pending", "completed", "forgotten"]), z.string(), z.string().nullable()]);
const storedResponse = z.object({ status: z.number().int(), body: z.unknown() });

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly claimScript;
  private readonly completeScript;
  private readonly releaseScript;
  private readonly forgetScript;
  private readonly eraseScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: StateCipher,
    private readonly clock: Clock,
  ) {
    this.claimScript = defineScript(redis, CLAIM);
    this.completeScript = defineScript(redis, COMPLETE);
    this.releaseScript = defineScript(redis, RELEASE);
    this.forgetScript = defineScript(redis, FORGET);
    this.eraseScript = defineScript(redis, ERASE);
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const token = randomUUID();
    const reply = await this.claimScript.run([this.keys.idempotency(key)], [this.clock.now(), fingerprint, token, leaseMs]);
    if (reply === null) return { claimed: true, token };
    const [state, storedFingerprint, sealed] = claimReply.parse(reply);
    if (state === "forgotten") return { claimed: false, entry: { state: "forgotten", fingerprint: storedFingerprint } };
    if (state === "pending" || sealed === null) return { claimed: false, entry: { state: "pending", fingerprint: storedFingerprint } };
    const response = storedResponse.parse(JSON.parse(this.cipher.openText(sealed, context(key))));
    return { claimed: false, entry: { state: "completed", fingerprint: storedFingerprint, response: { status: response.status, body: response.body } } };
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number, sessionId?: string): Promise<boolean> {
    const sealed = this.cipher.sealText(JSON.stringify(response), context(key));
    const entryKey = this.keys.idempotency(key);
    if (sessionId !== undefined) await this.redis.set(this.keys.idempotencyBySession(sessionId), entryKey, "PX", ttlMs);
    return (await this.completeScript.run([entryKey], [this.clock.now(), token, sealed, ttlMs, sessionId ?? ""])) === 1;
  }

  async forgetSession(sessionId: string): Promise<boolean> {
    const indexKey = this.keys.idempotencyBySession(sessionId);
    const entryKey = await this.redis.get(indexKey);
    // Only a name this store wrote is followed: the index must not become a way to touch other keys.
    const ours = entryKey !== null && entryKey.startsWith(`${this.keys.prefix}idem:`);
    const forgotten = ours && (await this.forgetScript.run([entryKey], [this.clock.now(), sessionId])) === 1;
    await this.redis.del(indexKey);
    return forgotten;
  }

  async erase(key: string): Promise<void> {
    const sealed = this.cipher.sealText(JSON.stringify(ERASED_RESPONSE), context(key));
    await this.eraseScript.run([this.keys.idempotency(key)], [this.clock.now(), sealed]);
  }

  async release(key: string, token: string): Promise<void> {
    await this.releaseScript.run([this.keys.idempotency(key)], [this.clock.now(), token]);
  }
}

/** Binds the sealed response to its key: moved under another key, it does not open. */
const context = (key: string) => `idempotency:${key}`;
