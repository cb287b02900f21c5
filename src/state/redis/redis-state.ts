/**
 * The Redis state: every store on one command connection, so N replicas share sessions, claims, counters and
 * deliveries. Secrets and biometrics are sealed with the key ring before they are written (state-crypto.ts).
 *
 * Ownership: the command connection is the caller's (it was handed in, and the caller may share it); close()
 * quits what the state opened itself, the pub/sub subscriber. connectRedisState() opens the command connection
 * too and then closes it as well.
 *
 * Requires Redis >= 7.0 (PEXPIRE NX/GT). Key map, TTLs and the exceptions: docs/state.md.
 */
import { Redis, type RedisOptions } from "ioredis";
import { createHmac } from "node:crypto";
import type { Clock } from "../../lib/clock.js";
import { createStateCipher } from "../state-crypto.js";
import type { State } from "../state.js";
import { RedisAuditLog } from "./audit-log-redis.js";
import { RedisIdempotencyStore } from "./idempotency-store-redis.js";
import { RedisImageStore } from "./image-store-redis.js";
import { RedisLeaseStore } from "./lease-store-redis.js";
import { RedisLockoutStore } from "./lockout-store-redis.js";
import { RedisRateLimitStore } from "./rate-limit-store-redis.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "./redis-keys.js";
import { RedisSessionStore } from "./session-store-redis.js";
import { RedisSignalBus } from "./signal-bus-redis.js";
import { RedisWebhookOutbox } from "./webhook-outbox-redis.js";

/** How long ping() waits for PONG before readiness calls Redis unreachable. */
const DEFAULT_PING_TIMEOUT_MS = 2_000;

export interface RedisStateOptions {
  /** REDIS_KEY_PREFIX; "lso:" by default. */
  keyPrefix?: string;
  /** STATE_ENCRYPTION_KEY, parsed: 32-byte keys, newest first. The first seals; all open. */
  encryptionKeys: readonly Buffer[];
  pingTimeoutMs?: number;
  /** Errors no caller awaits: a signal handler that threw, the subscriber connection's own errors. */
  onError?: (error: unknown, source: string) => void;
}

export interface RedisState extends State {
  readonly backend: "redis";
  /** The prefix every key of this state starts with (for operators and the keyspace tests). */
  readonly keyPrefix: string;
}

export function createRedisState(redis: Redis, options: RedisStateOptions, clock: Clock): RedisState {
  const keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const cipher = createStateCipher(options.encryptionKeys);
  const onError = options.onError ?? (() => undefined);
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const signals = new RedisSignalBus(redis, keys, onError);
  let closed = false;
  return {
    backend: "redis",
    keyPrefix: keys.prefix,
    sessions: new RedisSessionStore(redis, keys, cipher, clock),
    idempotency: new RedisIdempotencyStore(redis, keys, cipher, clock),
    lockout: new RedisLockoutStore(redis, keys, clock),
    rateLimits: new RedisRateLimitStore(redis, keys, clock),
    outbox: new RedisWebhookOutbox(redis, keys, cipher, clock),
    audit: new RedisAuditLog(redis, keys, clock),
    images: new RedisImageStore(redis, keys, cipher, clock),
    leases: new RedisLeaseStore(redis, keys, clock),
    signals,
    // A separate key from the cipher's: HMAC of a fixed label under the sealing key.
    receiptKey: createHmac("sha256", options.encryptionKeys[0] ?? Buffer.alloc(0)).update("lso erasure receipt key").digest(),
    ping: () => pingWithin(redis, pingTimeoutMs),
    close: async () => {
      if (closed) return;
      closed = true;
      await signals.close();
    },
  };
}

/** Opens its own command connection to `url` and closes it with the state. */
export function connectRedisState(url: string, options: RedisStateOptions & { redisOptions?: RedisOptions }, clock: Clock): RedisState {
  const redis = new Redis(url, { lazyConnect: false, ...options.redisOptions });
  redis.on("error", (error) => options.onError?.(error, "redis"));
  const state = createRedisState(redis, options, clock);
  return {
    ...state,
    close: async () => {
      await state.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * PING with a deadline: while Redis is down ioredis queues commands and retries, so an unbounded PING would hang
 * readiness instead of failing it.
 */
async function pingWithin(redis: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const reply = await Promise.race([redis.ping(), deadline]);
    if (reply !== "PONG") throw new Error(`Redis answered PING with ${String(reply)}`);
  } finally {
    clearTimeout(timer);
  }
}
