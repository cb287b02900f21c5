/**
 * The Redis state: every store on one command connection, so N replicas share sessions, claims, counters and
 * deliveries. Secrets and biometrics are sealed with the key ring before they are written (state-crypto.ts).
 *
 * Ownership: the command connection is the caller's (it was handed in, and the caller may share it); close()
 * quits what the state opened itself, the pub/sub subscriber. openRedisState() opens the command connection too
 * (fail-fast, with bounded tries at startup: redis-connection.ts) and then closes it as well.
 *
 * Every store is wrapped once (guardRedisStore): a rejection that means Redis cannot be reached becomes
 * StateUnavailableError (503 for a request, "try again next round" for background work), and no error leaves a
 * store with the command arguments ioredis attaches to it.
 *
 * Requires Redis >= 7.0 (PEXPIRE NX/GT). Key map, TTLs and the exceptions: docs/state.md.
 */
import type { Redis } from "ioredis";
import { createHmac } from "node:crypto";
import { systemClock, type Clock } from "../../lib/clock.js";
import { createStateCipher } from "../state-crypto.js";
import type { State } from "../state.js";
import { RedisAuditLog } from "./audit-log-redis.js";
import { RedisIdempotencyStore } from "./idempotency-store-redis.js";
import { RedisImageStore } from "./image-store-redis.js";
import { RedisLeaseStore } from "./lease-store-redis.js";
import { RedisLockoutStore } from "./lockout-store-redis.js";
import { RedisQuotaBucket } from "./quota-bucket-redis.js";
import { RedisRateLimitStore } from "./rate-limit-store-redis.js";
import { openRedisConnection, type RedisConnectionOptions } from "./redis-connection.js";
import { guardRedisStore, stateErrorOf } from "./redis-errors.js";
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
  /** The Face quota's clock: real time by default, whatever the state's clock is (see state/quota-bucket.ts). */
  quotaClock?: Clock;
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
    sessions: guardRedisStore(new RedisSessionStore(redis, keys, cipher, clock)),
    idempotency: guardRedisStore(new RedisIdempotencyStore(redis, keys, cipher, clock)),
    lockout: guardRedisStore(new RedisLockoutStore(redis, keys, clock)),
    rateLimits: guardRedisStore(new RedisRateLimitStore(redis, keys)),
    outbox: guardRedisStore(new RedisWebhookOutbox(redis, keys, cipher, clock)),
    audit: guardRedisStore(new RedisAuditLog(redis, keys, clock)),
    images: guardRedisStore(new RedisImageStore(redis, keys, cipher, clock)),
    leases: guardRedisStore(new RedisLeaseStore(redis, keys, clock)),
    signals: guardRedisStore(signals),
    quota: guardRedisStore(new RedisQuotaBucket(redis, keys, options.quotaClock ?? systemClock)),
    // A separate key from the cipher's: HMAC of a fixed label under the sealing key.
    receiptKey: createHmac("sha256", options.encryptionKeys[0] ?? Buffer.alloc(0)).update("lso erasure receipt key").digest(),
    ping: () => pingWithin(redis, pingTimeoutMs).catch((error: unknown) => Promise.reject(stateErrorOf(error))),
    close: async () => {
      if (closed) return;
      closed = true;
      await signals.close();
    },
  };
}

/**
 * Connects to `url` (redis-connection.ts: fail-fast commands, bounded tries at startup, then RedisUnreachableError)
 * and returns a state that owns the connection: close() quits it after the subscriber.
 */
export async function openRedisState(
  url: string,
  options: RedisStateOptions & { connection?: RedisConnectionOptions },
  clock: Clock,
): Promise<RedisState> {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  // Checked before connecting: a bad prefix or key ring fails at once rather than after the connection tries.
  createStateCipher(options.encryptionKeys);
  redisKeys(keyPrefix);
  const redis = await openRedisConnection(url, { connectionName: `${keyPrefix}state`, ...options.connection });
  const state = createRedisState(redis, options, clock);
  let closed = false;
  return {
    ...state,
    close: async () => {
      if (closed) return;
      closed = true;
      await state.close();
      // A deliberate close is not an outage: no "connection lost" line on the way out.
      redis.removeAllListeners("close");
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * PING with a deadline: on a connection that queues commands while Redis is down (one not opened here), an
 * unbounded PING would hang readiness instead of failing it.
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
