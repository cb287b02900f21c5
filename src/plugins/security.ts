/**
 * What protects the API before any route runs: security headers (helmet, tuned for a JSON API that serves no
 * HTML), and the per-IP rate limit on every request, unknown routes included. CORS is deliberately not enabled:
 * the callers are servers, and no other origin's page may use a client API key. The one page that holds a key is
 * the console (src/console, same origin, its own CSP), signed into by a person with their own key.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import helmet, { type HelmetOptions } from "helmet";
import fp from "fastify-plugin";
import type { RateLimitStore } from "../state/rate-limit-store.js";
import { rateLimiter } from "./rate-limit.js";

export interface SecurityOptions {
  rateLimitStore: RateLimitStore;
  perIpPerMinute: number;
}

const HELMET_OPTIONS: HelmetOptions = {
  // Nothing here is meant to render in a browser: forbid everything a page could load or frame.
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: "same-origin" },
};

/**
 * The headers helmet sets, worked out once. They depend on nothing in the request, and @fastify/helmet rebuilt
 * helmet's whole middleware (options parsed, directives validated and serialised) on every request.
 */
export function helmetHeaders(options: HelmetOptions = HELMET_OPTIONS): ReadonlyArray<readonly [string, string]> {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return [...headers];
}

async function security(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  const headers = helmetHeaders();
  // On the raw response, as helmet sets them: a route's own reply.header (the console's CSP) still wins.
  app.addHook("onRequest", (_request, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
  app.addHook(
    "onRequest",
    rateLimiter({ name: "ip", store: options.rateLimitStore, key: (r) => r.ip, limit: () => options.perIpPerMinute }),
  );
}

export default fp(security, { name: "security" });
