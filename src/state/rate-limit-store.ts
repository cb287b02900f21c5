/**
 * Counters for the API's own rate limits: fixed windows per key (memory: a Map in this process; Redis:
 * rate-limiter-flexible's RateLimiterRedis, one counter per key shared by every replica). Windows follow the wall
 * clock (Redis' expiry), not the state's injected Clock.
 */

export interface RateLimitVerdict {
  /** False once more than `limit` requests were counted in the current window. */
  allowed: boolean;
  /** Requests still allowed in the window after this one (0 when refused). */
  remaining: number;
  /** Milliseconds until the window ends and counting starts again. */
  resetInMs: number;
}

export interface RateLimitStore {
  /**
   * Counts one request for `key` against `limit` per `windowMs` (whole seconds, at least one). The memory backend
   * answers at once (no promise on every request's path); a bad window is always a rejected promise.
   */
  consume(key: string, limit: number, windowMs: number): RateLimitVerdict | Promise<RateLimitVerdict>;
}

/** Redis counts in whole seconds (EX): a fraction would silently become a window that never ends. */
export function checkWindow(windowMs: number): RangeError | undefined {
  return Number.isInteger(windowMs / 1000) && windowMs >= 1000 ? undefined : new RangeError(`rate-limit window must be whole seconds, got ${windowMs} ms`);
}
