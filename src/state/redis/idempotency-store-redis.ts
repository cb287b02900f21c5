/**
 * Idempotent creates in Redis: one hash per (client, Idempotency-Key), named by the key's hash. A pending claim
 * holds its owner's token and lives for the lease; a completed entry holds the original response, sealed with
 * AES-256-GCM (it carries the session's auth token), and lives for the retention. Claim, complete and release are
 * each one script: they check the owner and the entry's own deadline (`until`, on the store's clock) before writing.
 * A completed entry names its session (`session`), so forget (the session's record knows its key) never touches
 * an entry another session completed.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { ClaimResult, IdempotencyStore, StoredResponse } from "../idempotency-store.js";
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

/**
 * KEYS: entry. ARGV: now, session id. A live entry, pending or completed for that session (or for none), loses its
 * response, token and fingerprint and keeps its expiry; 1 when it did.
 */
const FORGET = `
local k = KEYS[1]
local untilv = tonumber(redis.call('HGET', k, 'until'))
if not untilv or untilv <= tonumber(ARGV[1]) then return 0 end
local state, session = unpack(redis.call('HMGET', k, 'state', 'session'))
if state == 'forgotten' or (session and session ~= ARGV[2]) then return 0 end
redis.call('HDEL', k, 'response', 'token', 'session')
redis.call('HSET', k, 'state', 'forgotten', 'fingerprint', '')
return 1
`;

/** KEYS: entry. ARGV: now, token. */
const RELEASE = `
local k = KEYS[1]
local untilv = tonumber(redis.call('HGET', k, 'until'))
if untilv and untilv > tonumber(ARGV[1]) and redis.call('HGET', k, 'token') == ARGV[2] then redis.call('DEL', k) end
return 0
`;

const claimReply = z.tuple([z.enum(["pending", "completed", "forgotten"]), z.string(), z.string().nullable()]);
const storedResponse = z.object({ status: z.number().int(), body: z.unknown() });

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly claimScript;
  private readonly completeScript;
  private readonly releaseScript;
  private readonly forgetScript;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: StateCipher,
    private readonly clock: Clock,
  ) {
    this.claimScript = defineScript(redis, CLAIM);
    this.completeScript = defineScript(redis, COMPLETE);
    this.releaseScript = defineScript(redis, RELEASE);
    this.forgetScript = defineScript(redis, FORGET);
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const token = randomUUID();
    const reply = await this.claimScript.run([this.keys.idempotency(key)], [this.clock.now(), fingerprint, token, leaseMs]);
    if (reply === null) return { claimed: true, token };
    const [state, storedFingerprint, sealed] = claimReply.parse(reply);
    // A completed entry with no fingerprint is an erasure marker written before erasure and delete shared forget
    // (it lives out its 24 h retention): it reads as forgotten.
    if (state === "forgotten" || (state === "completed" && storedFingerprint === "")) return { claimed: false, entry: { state: "forgotten" } };
    if (state === "pending" || sealed === null) return { claimed: false, entry: { state: "pending", fingerprint: storedFingerprint } };
    const response = storedResponse.parse(JSON.parse(this.cipher.openText(sealed, context(key))));
    return { claimed: false, entry: { state: "completed", fingerprint: storedFingerprint, response: { status: response.status, body: response.body } } };
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number, sessionId?: string): Promise<boolean> {
    const sealed = this.cipher.sealText(JSON.stringify(response), context(key));
    return (await this.completeScript.run([this.keys.idempotency(key)], [this.clock.now(), token, sealed, ttlMs, sessionId ?? ""])) === 1;
  }

  async forget(key: string, sessionId: string): Promise<boolean> {
    return (await this.forgetScript.run([this.keys.idempotency(key)], [this.clock.now(), sessionId])) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await this.releaseScript.run([this.keys.idempotency(key)], [this.clock.now(), token]);
  }
}

/** Binds the sealed response to its key: moved under another key, it does not open. */
const context = (key: string) => `idempotency:${key}`;
