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
  }
}

export interface LimiterOptions {
  store: RateLimitStore;
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

/** Sets the headers and lets the request on, or refuses it. A plain function, so no closure is made per request. */
function answer(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, name: string, limit: number, verdict: RateLimitVerdict): void {
  const resetSeconds = Math.max(1, Math.ceil(verdict.resetInMs / 1000));
  // The later, narrower limiter (per client) overwrites the per-IP headers: it is the one the caller can act on.
  setHeaders(reply, limit, verdict.remaining, resetSeconds);
  if (!verdict.allowed) {
    request.log.warn({ limiter: name, limit }, "rate limit exceeded");
    done(new AppError("LSO_ERR_RATE_LIMITED", { retryAfterSeconds: resetSeconds }));
    return;
  }
  done();
}

/**
 * An onRequest hook that counts the request against one limiter and refuses it once over the limit. Callback style,
 * like the other hooks on every request's path, and it waits only when the store does (Redis): the memory store
 * answers at once, and two of these run on every /v1 request.
 */
export function rateLimiter(options: LimiterOptions): onRequestHookHandler {
  const { name, store } = options;
  const prefix = `${name}:`;
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
      done(error as Error);
      return;
    }
    if (!(verdict instanceof Promise)) {
      answer(request, reply, done, name, limit, verdict);
      return;
    }
    verdict.then(
      (settled) => answer(request, reply, done, name, limit, settled),
      // The store's own failure (Redis down): the error handler answers it in the envelope.
      (error: unknown) => done(error as Error),
    );
  };
}
