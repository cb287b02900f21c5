/**
 * Rate limits on our own API: one counter per client IP on every request (unknown routes and failed
 * authentication included, so key guessing and route scanning are throttled), and one per authenticated client,
 * sized by its policy. Answers 429 LSO_ERR_RATE_LIMITED with Retry-After, and RateLimit-* headers on every answer
 * (draft-ietf-httpapi-ratelimit-headers).
 *
 * Routes with `config: { rateLimit: false }` (the probes, /metrics) are not counted: they must answer the same
 * whatever the state backend does, and repeating them costs nothing.
 *
 * The counting is the state layer's RateLimitStore (in memory, a Map; on Redis, rate-limiter-flexible's), so
 * replicas on Redis share one count per caller. (@fastify/rate-limit would run at most one of its global limiters per request, and its Redis
 * store has no fallback while Redis is down; the two limiters here must both run, before and after authentication.)
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from "fastify";
import { AppError } from "../errors.js";
import type { RateLimitStore, RateLimitVerdict } from "../state/rate-limit-store.js";
import { routeConfigOf } from "./route-config.js";

const WINDOW_MS = 60_000;

declare module "fastify" {
  interface FastifyContextConfig {
    /** false: this route is never rate limited (probes and /metrics). */
    rateLimit?: false;
    /**
     * true: a narrower limiter (per client) counts this route's requests after the per-IP one and sets the
     * RateLimit headers itself (caller-auth marks its scope's routes).
     */
    narrowerRateLimit?: true;
  }
  interface FastifyRequest {
    /** A wider limiter's headers, held back while a narrower limiter is still to set its own. */
    heldRateLimitHeaders?: RateLimitHeaders;
  }
}

interface RateLimitHeaders {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface LimiterOptions {
  store: RateLimitStore;
  /** Counter name, also the key prefix, e.g. "ip" or "client". */
  name: string;
  key: (request: FastifyRequest) => string;
  limit: (request: FastifyRequest) => number;
  /**
   * Whether a narrower limiter follows on this request's route (narrowerRateLimit): the caller can act on that one's
   * figures, which would overwrite these, so an allowed request's headers are held back on the request instead of
   * set (three header sets fewer on every /v1 request), and only set if it is answered before that limiter speaks.
   */
  narrowerFollows?: boolean;
}

function setHeaders(reply: FastifyReply, limit: number, remaining: number, resetSeconds: number): void {
  reply.header("ratelimit-limit", String(limit));
  reply.header("ratelimit-remaining", String(Math.max(0, remaining)));
  reply.header("ratelimit-reset", String(resetSeconds));
}

/**
 * For a request answered before the narrower limiter set its headers (its authentication failed, or that limiter's
 * store did): the wider limiter's headers, held back, are set after all, where they would have been set.
 */
export function setHeldRateLimitHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const held = request.heldRateLimitHeaders;
  if (!held) return;
  request.heldRateLimitHeaders = undefined;
  setHeaders(reply, held.limit, held.remaining, held.resetSeconds);
}

/** Sets the headers and lets the request on, or refuses it. A plain function, so no closure is made per request. */
function answer(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, options: LimiterOptions, limit: number, verdict: RateLimitVerdict): void {
  const resetSeconds = Math.max(1, Math.ceil(verdict.resetInMs / 1000));
  if (verdict.allowed && options.narrowerFollows && routeConfigOf(request).narrowerRateLimit) {
    request.heldRateLimitHeaders = { limit, remaining: verdict.remaining, resetSeconds };
    done();
    return;
  }
  // Nothing sets a header between the two limiters: the narrower one's take the place the wider one's would have had.
  setHeaders(reply, limit, verdict.remaining, resetSeconds);
  if (!verdict.allowed) {
    const { name } = options;
    request.log.warn({ limiter: name, limit }, "rate limit exceeded");
    done(new AppError("LSO_ERR_RATE_LIMITED", { retryAfterSeconds: resetSeconds }));
    return;
  }
  done();
}

/** The store's own failure (Redis down): the error handler answers it in the envelope, with the headers held so far. */
function failed(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, error: unknown): void {
  setHeldRateLimitHeaders(request, reply);
  done(error as Error);
}

/**
 * An onRequest hook that counts the request against one limiter and refuses it once over the limit. Callback style,
 * like the other hooks on every request's path, and it waits only when the store does (Redis): the memory store
 * answers at once, and two of these run on every /v1 request.
 */
export function rateLimiter(options: LimiterOptions): onRequestHookHandler {
  const { store } = options;
  const prefix = `${options.name}:`;
  return (request, reply, done) => {
    if (routeConfigOf(request).rateLimit === false) {
      done();
      return;
    }
    const limit = options.limit(request);
    let verdict: RateLimitVerdict | Promise<RateLimitVerdict>;
    try {
      verdict = store.consume(prefix + options.key(request), limit, WINDOW_MS);
    } catch (error) {
      failed(request, reply, done, error);
      return;
    }
    if (!(verdict instanceof Promise)) {
      answer(request, reply, done, options, limit, verdict);
      return;
    }
    verdict.then(
      (settled) => answer(request, reply, done, options, limit, settled),
      (error: unknown) => failed(request, reply, done, error),
    );
  };
}
