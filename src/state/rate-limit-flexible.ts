/**
 * RateLimitStore on rate-limiter-flexible (the Redis backend's): one limiter per (limit, window) pair, kept for the
 * life of the state. A limiter resolves while the key is within its limit and rejects with a RateLimiterRes once
 * over it; any other rejection is the store's own failure. Every limiter counts the same Redis key, so a key whose
 * limit changes (a caller's policy, updated) keeps its count.
 * @see https://github.com/animir/node-rate-limiter-flexible/wiki/Options
 */
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { checkWindow, type RateLimitStore, type RateLimitVerdict } from "./rate-limit-store.js";

export type LimiterFactory = (limit: number, durationSeconds: number) => RateLimiterAbstract;

export class FlexibleRateLimitStore implements RateLimitStore {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly make: LimiterFactory) {}

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitVerdict> {
    const invalid = checkWindow(windowMs);
    if (invalid) throw invalid;
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
