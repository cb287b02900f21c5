/**
 * Rate limits on our own API: one counter per client IP on every request (unknown routes and failed
 * authentication included, so key guessing and route scanning are throttled), and one per authenticated client,
 * sized by its policy. Answers 429 LSO_ERR_RATE_LIMITED with Retry-After, and RateLimit-* headers on every answer
 * (draft-ietf-httpapi-ratelimit-headers).
 *
 * Why not @fastify/rate-limit: it runs at most one limiter per request (its `rateLimitRan` guard), and this API
 * needs two independent counters on the same request; the store below is also the seam for a shared Redis store.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { AppError } from "../errors.js";
import type { Clock } from "../lib/clock.js";

export interface RateLimitStore {
  /** Counts one hit for `key` in the current fixed window; returns the count so far and when the window ends. */
  hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetAt: number }>;
}

const WINDOW_MS = 60_000;

/** An in-process fixed-window counter; windows are dropped once over, so memory follows active keys only. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastSweep = 0;

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetAt: number }> {
    if (now - this.lastSweep > windowMs) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetAt: window.resetAt };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

export interface LimiterOptions {
  store: RateLimitStore;
  clock: Clock;
  /** Counter name, also the key prefix, e.g. "ip" or "client". */
  name: string;
  key: (request: FastifyRequest) => string;
  limit: (request: FastifyRequest) => number;
}

function setHeaders(reply: FastifyReply, limit: number, remaining: number, resetSeconds: number): void {
  reply.header("ratelimit-limit", String(limit));
  reply.header("ratelimit-remaining", String(Math.max(0, remaining)));
  reply.header("ratelimit-reset", String(resetSeconds));
}

/** An onRequest hook that counts the request against one limiter and refuses it once over the limit. */
export function rateLimiter(options: LimiterOptions): onRequestHookHandler {
  return async (request, reply) => {
    const limit = options.limit(request);
    const now = options.clock.now();
    const { count, resetAt } = await options.store.hit(`${options.name}:${options.key(request)}`, WINDOW_MS, now);
    const resetSeconds = Math.max(1, Math.ceil((resetAt - now) / 1000));
    // The later, narrower limiter (per client) overwrites the per-IP headers: it is the one the caller can act on.
    setHeaders(reply, limit, limit - count, resetSeconds);
    if (count > limit) {
      request.log.warn({ limiter: options.name, limit }, "rate limit exceeded");
      throw new AppError("LSO_ERR_RATE_LIMITED", { retryAfterSeconds: resetSeconds });
    }
  };
}
