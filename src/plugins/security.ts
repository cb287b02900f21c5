/**
 * What protects the API before any route runs: security headers (helmet, tuned for a JSON API that serves no
 * HTML), and the per-IP rate limit on every request, unknown routes included. CORS is deliberately not enabled:
 * the callers are servers, and no other origin's page may use a client API key. The one page that holds a key is
 * the console (src/console, same origin, its own CSP), signed into by a person with their own key.
 */
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RateLimitStore } from "../state/rate-limit-store.js";
import { rateLimiter } from "./rate-limit.js";

export interface SecurityOptions {
  rateLimitStore: RateLimitStore;
  perIpPerMinute: number;
}

async function security(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(helmet, {
    // Nothing here is meant to render in a browser: forbid everything a page could load or frame.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: "same-origin" },
  });
  app.addHook(
    "onRequest",
    rateLimiter({ name: "ip", store: options.rateLimitStore, key: (r) => r.ip, limit: () => options.perIpPerMinute }),
  );
}

export default fp(security, { name: "security" });
