/**
 * Counters for the API's own rate limits: fixed windows per key. Redis: INCR + PEXPIRE NX on a key per window
 * (or one Lua script), so instances share one count per caller.
 */

export interface RateLimitHit {
  /** Hits in the current window so far, this one included. */
  count: number;
  /** When the current window ends (epoch ms). */
  resetAt: number;
}

export interface RateLimitStore {
  /** Counts one hit for `key` in the window that is current at the store's clock. */
  hit(key: string, windowMs: number): Promise<RateLimitHit>;
}
