/**
 * Which ioredis errors mean "Redis cannot be reached right now" (as opposed to a bug in a command or script), in
 * one place, so the stores never decide it one by one. With the command connection configured to fail fast
 * (redis-connection.ts), an outage surfaces as one of these within a command timeout:
 *
 * - the connection is down: "Stream isn't writeable and enableOfflineQueue options is false", "Connection is
 *   closed.", MaxRetriesPerRequestError, or a socket error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, …);
 * - the command timed out ("Command timed out", commandTimeout);
 * - Redis answered but cannot serve: LOADING (replaying its AOF after a restart), READONLY / MASTERDOWN (a failover
 *   in progress), BUSY (a long script), OOM / MISCONF (out of memory, failing persistence), CLUSTERDOWN / TRYAGAIN,
 *   or NOAUTH / WRONGPASS (our credentials no longer work, e.g. a rotated access key).
 */
import { StateUnavailableError } from "../state-errors.js";

const UNAVAILABLE_MESSAGES = [/^Stream isn't writeable/, /^Connection is closed/, /^Command timed out/, /^Reached the max retries per request limit/];

const UNAVAILABLE_REPLIES = /^(LOADING|READONLY|MASTERDOWN|BUSY|OOM|MISCONF|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS)\b/;

const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);

export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && SOCKET_CODES.has(code)) return true;
  if (error.name === "MaxRetriesPerRequestError") return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message)) || UNAVAILABLE_REPLIES.test(error.message);
}

/** The error's message and code, safe to log: never the command or its arguments that ioredis attaches. */
export function redisErrorReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // ioredis' words for "a command while the connection is down", which says more about its options than the outage.
  if (/^Stream isn't writeable/.test(error.message)) return "not connected to Redis (reconnecting)";
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

/**
 * Drops what ioredis attaches to a failed command (`command: { name, args }`): the arguments may be stored values
 * or, for AUTH, the password, and an error handler logging `{ err }` would print them.
 */
export function scrubRedisError<T>(error: T): T {
  if (error instanceof Error && "command" in error) delete (error as { command?: unknown }).command;
  return error;
}

/** A Redis failure as the state layer reports it: StateUnavailableError for an outage, else the scrubbed error. */
export function stateErrorOf(error: unknown): unknown {
  return isRedisUnavailable(error) ? new StateUnavailableError("redis", redisErrorReason(error)) : scrubRedisError(error);
}

/**
 * The store with every method's rejection passed through stateErrorOf: the one place where an outage becomes
 * StateUnavailableError, so no store and no route has to tell a Redis outage from a bug.
 */
export function guardRedisStore<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = Reflect.apply(value, target, args);
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(stateErrorOf(error))) : result;
        } catch (error) {
          throw stateErrorOf(error);
        }
      };
    },
  });
}
