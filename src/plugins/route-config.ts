/**
 * The matched route's config (its template as `url`, and flags such as `rateLimit`), read once per request. Fastify's
 * `request.routeOptions` builds a new object of a dozen fields on every read, and the rate limiters and the metrics
 * hook each need the route: the first read keeps the route's own config object (the same one for every request to
 * that route) on the request, and the later ones find it there.
 */
import type { FastifyContextConfig, FastifyRequest } from "fastify";

/** What we read of a route's config; `url` is undefined for an unmatched request (404). */
export type RouteConfig = FastifyContextConfig & { url?: string | undefined };

declare module "fastify" {
  interface FastifyRequest {
    /** Set by routeConfigOf on the first read. */
    matchedRouteConfig?: RouteConfig;
  }
}

const NO_CONFIG: RouteConfig = Object.freeze({});

export function routeConfigOf(request: FastifyRequest): RouteConfig {
  // Fastify's types promise a config; the fallback covers a context made without one all the same.
  return (request.matchedRouteConfig ??= (request.routeOptions.config as RouteConfig | undefined) ?? NO_CONFIG);
}
