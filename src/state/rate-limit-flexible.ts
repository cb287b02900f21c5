/**
 * RateLimitStore on rate-limiter-flexible: one limiter per (limit, window) pair, made by the backend (memory or
 * Redis) and kept for the life of the state. A limiter resolves while the key is within its limit and rejects
 * with a RateLimiterRes once over it; any other rejection is the store's own failure. On Redis every limiter of
 * one window counts the same key; in memory each keeps its own count, so a key whose limit changes (a caller's
 * policy, updated) starts afresh there.
 * @see https://github.com/animir/node-rate-limiter-flexible/wiki/Options
 */
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimitStore, RateLimitVerdict } from "./rate-limit-store.js";

export type LimiterFactory = (limit: number, durationSeconds: number) => RateLimiterAbstract;

export class FlexibleRateLimitStore implements RateLimitStore {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly make: LimiterFactory) {}

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    // The library counts in whole seconds (Redis: EX); a fraction would silently become a window that never ends.
    if (!Number.isInteger(windowMs / 1000) || windowMs < 1000) throw new RangeError(`rate-limit window must be whole seconds, got ${windowMs} ms`);
    const id = `${limit}/${windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.make(limit, windowMs / 1000);
      this.limiters.set(id, limiter);
    }
    try {
      const res = await limiter.consume(key);
      return { allowed: true, remaining: res.remainingPoints, resetInMs: Math.max(0, res.msBeforeNext) };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { allowed: false, remaining: 0, resetInMs: Math.max(0, rejection.msBeforeNext) };
    }
  }
}
