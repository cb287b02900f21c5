/**
 * What protects the API before any route runs: the request checks Node leaves to us (Host, Expect), the security
 * headers, and the per-IP rate limit on every request, unknown routes included. CORS is deliberately not enabled:
 * the callers are servers, and no other origin's page may use a client API key. The pages a browser renders (the
 * console, the API reference) add helmet's full set in their own scopes (browserPageHeaders).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance, onRequestHookHandler } from "fastify";
import helmet, { type HelmetOptions } from "helmet";
import fp from "fastify-plugin";
import { AppError } from "../errors.js";
import { REQUEST_ID_HEADER } from "../logger.js";
import type { RateLimitStore } from "../state/rate-limit-store.js";
import { rateLimiter } from "./rate-limit.js";

export interface SecurityOptions {
  rateLimitStore: RateLimitStore;
  perIpPerMinute: number;
}

/**
 * The OWASP REST Security Cheat Sheet's set for API responses ("Security Headers"): the API answers JSON (and
 * Prometheus text) that no browser renders as a page, so helmet's HTML-only headers (COOP, CORP, Origin-Agent-Cluster,
 * Referrer-Policy, X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection)
 * protect nothing here, and each one is paid for on every answer. The CSP still allows nothing at all, in case a
 * response is ever opened in a browser; no-store keeps tokens and outcomes out of every cache.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html#security-headers
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none';frame-ancestors 'none'",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};
const apiHeaderEntries = Object.entries(API_SECURITY_HEADERS);

const HELMET_OPTIONS: HelmetOptions = {
  // The pages set their own CSP per scope; this one is the fallback for anything in their scope that does not.
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

/**
 * For the scopes that serve pages a browser renders (the console, /docs): helmet's full set in place of the API's,
 * and no Cache-Control of the API's (their routes say how their files are cached). A route's own CSP, set later, wins.
 */
export function browserPageHeaders(): onRequestHookHandler {
  const headers = helmetHeaders();
  return (_request, reply, done) => {
    reply.removeHeader("cache-control");
    for (const [name, value] of headers) reply.header(name, value);
    done();
  };
}

/** Only 100-continue is understood (matched as Node matches it); Node answers any other expectation with an empty 417. */
const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

async function security(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  const limitByIp = rateLimiter({ name: "ip", store: options.rateLimitStore, key: (r) => r.ip, limit: () => options.perIpPerMinute });
  // One hook for everything every request pays before its route: each hook is a step of Fastify's hook runner. On
  // the reply (not the raw response), so Node takes its fast path writing the head, and a route's own header wins.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    for (const [name, value] of apiHeaderEntries) reply.header(name, value);
    // RFC 9112 §3.2: an HTTP/1.1 request must name its Host.
    if (request.raw.httpVersion === "1.1" && request.headers.host === undefined) {
      done(new AppError("LSO_ERR_VALIDATION", { message: "The Host header is required." }));
      return;
    }
    const expect = request.headers.expect;
    if (expect !== undefined && !CONTINUE_EXPECTATION.test(expect)) {
      done(new AppError("LSO_ERR_VALIDATION", { message: "Only Expect: 100-continue is supported." }));
      return;
    }
    limitByIp.call(app, request, reply, done);
  });
}

export default fp(security, { name: "security" });
