/**
 * Counters for the API's own rate limits: fixed windows per key, counted by rate-limiter-flexible (memory: its
 * RateLimiterMemory; Redis: its RateLimiterRedis, one counter per key shared by every replica). Windows follow
 * the wall clock (the library's and Redis' expiry), not the state's injected Clock.
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
  /** Counts one request for `key` against `limit` per `windowMs` (whole seconds, at least one). */
  consume(key: string, limit: number, windowMs: number): Promise<RateLimitVerdict>;
}
