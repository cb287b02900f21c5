/**
 * The state's command connection to Redis, configured to fail fast: while Redis is away a command is refused at
 * once (no offline queue) or within the command timeout, never parked until Redis returns, so a request answers
 * 503 instead of hanging and a background loop moves on. The connection itself keeps reconnecting for as long as
 * the process lives, so service resumes on its own when Redis is back.
 *
 * At startup the first connection gets a bounded number of tries with doubling delays (5 tries over about 15 s);
 * then openRedisConnection gives up with RedisUnreachableError, which names the host but never the URL (it holds
 * the password). A server older than Redis 7.0 is refused at once (RedisVersionError), rather than failing on the
 * first write that needs PEXPIRE NX / GT.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis, type RedisOptions } from "ioredis";
import { describeRedisEndpoint, redisEndpointOf } from "../../lib/redis-url.js";
import { redisErrorReason } from "./redis-errors.js";

/** Tries at startup, and the delay before the second one; each further delay doubles (1 + 2 + 4 + 8 s). */
export const STARTUP_ATTEMPTS = 5;
export const STARTUP_FIRST_DELAY_MS = 1_000;
/** A command not answered within this is failed (a Redis that accepts connections but hangs is down too). */
export const COMMAND_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnection delays at runtime: from 100 ms, doubling, at most this. */
const RECONNECT_MAX_DELAY_MS = 2_000;

/** The little of a logger the connection needs (pino's Logger fits). */
export interface RedisConnectionLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RedisConnectionOptions {
  /** CLIENT SETNAME, so an operator's CLIENT LIST tells our connections apart. */
  connectionName?: string;
  log?: RedisConnectionLog;
  attempts?: number;
  firstDelayMs?: number;
  commandTimeoutMs?: number;
}

export class RedisUnreachableError extends Error {
  constructor(
    /** host:port (TLS), never the URL. */
    readonly endpoint: string,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(`Redis at ${endpoint} did not answer after ${attempts} attempts (last error: ${reason})`);
    this.name = "RedisUnreachableError";
  }
}

/** The oldest Redis the stores work on: they use PEXPIRE … NX | GT (7.0). */
export const MIN_REDIS_MAJOR = 7;

export class RedisVersionError extends Error {
  constructor(
    readonly endpoint: string,
    readonly version: string,
  ) {
    super(`Redis at ${endpoint} runs ${version}; the state needs Redis ${MIN_REDIS_MAJOR}.0 or later`);
    this.name = "RedisVersionError";
  }
}

/**
 * The server's version from INFO's text, when it is too old; undefined when it is new enough or does not say (a
 * managed Redis may trim INFO: then the stores' own commands are the test).
 */
export function tooOldRedisVersion(info: string): string | undefined {
  const version = /^redis_version:(\d+)\.(\d+)\S*/m.exec(info);
  if (!version) return undefined;
  return Number(version[1]) < MIN_REDIS_MAJOR ? version[0].slice("redis_version:".length) : undefined;
}

/** The options every state connection runs with (the subscriber duplicates them, with its own queueing). */
export function failFastOptions(started: () => boolean, options: RedisConnectionOptions = {}): RedisOptions {
  return {
    lazyConnect: true,
    // Refuse commands while disconnected instead of queueing them until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A command whose caller was already told it failed must not run later behind its back (an INCR, a claim).
    autoResendUnfulfilledCommands: false,
    // Startup counts its own tries (null: give up this connect); once up, reconnect for as long as the process lives.
    retryStrategy: (times) => (started() ? Math.min(100 * 2 ** (times - 1), RECONNECT_MAX_DELAY_MS) : null),
    // After a failover the old primary answers READONLY: reconnect, which resolves the name to the new primary.
    reconnectOnError: (error) => /^READONLY\b/.test(error.message),
    ...(options.connectionName && { connectionName: options.connectionName }),
  };
}

/**
 * Connects to `url` (tries, then RedisUnreachableError) and returns the connection, ready. Losing and regaining it
 * later is logged once each way; the reasons in between are not, since a down Redis would repeat them every retry.
 */
export async function openRedisConnection(url: string, options: RedisConnectionOptions = {}): Promise<Redis> {
  const endpoint = describeRedisEndpoint(url);
  const attempts = options.attempts ?? STARTUP_ATTEMPTS;
  let started = false;
  let lastError = "no answer";
  let down = false;
  // TLS from our own reading of the URL: ioredis turns it on only for a lower-case "rediss://".
  const tls = redisEndpointOf(url).tls ? { tls: {} } : {};
  const redis = new Redis(url, { ...failFastOptions(() => started, options), ...tls });
  // Without a listener ioredis prints every error event itself; these errors are the reasons kept for the logs.
  redis.on("error", (error: unknown) => {
    lastError = redisErrorReason(error);
  });
  for (let attempt = 1; ; attempt += 1) {
    try {
      await redis.connect();
      break;
    } catch (error) {
      // connect() itself rejects with "Connection is closed."; the error event before it said why.
      const reason = lastError === "no answer" ? redisErrorReason(error) : lastError;
      if (attempt >= attempts) {
        redis.disconnect();
        throw new RedisUnreachableError(endpoint, attempts, reason);
      }
      const delayMs = (options.firstDelayMs ?? STARTUP_FIRST_DELAY_MS) * 2 ** (attempt - 1);
      options.log?.warn({ redis: endpoint, attempt, of: attempts, retryInMs: delayMs, reason }, "Redis is not answering yet; retrying");
      await sleep(delayMs);
    }
  }
  const tooOld = tooOldRedisVersion(await redis.info("server").catch(() => ""));
  if (tooOld) {
    redis.disconnect();
    throw new RedisVersionError(endpoint, tooOld);
  }
  started = true;
  redis.on("close", () => {
    if (down) return;
    down = true;
    options.log?.warn({ redis: endpoint }, "Redis connection lost: requests that need state answer 503 until it is back; reconnecting");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    options.log?.info({ redis: endpoint, lastError }, "Redis connection restored");
  });
  return redis;
}
