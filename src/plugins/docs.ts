/**
 * The interactive API reference at /docs: Swagger UI over the live OpenAPI document, served from the package's own
 * files (no CDN, so it works offline and leaks nothing to a third party). On by default in emulator mode only
 * (DOCS_UI). Its routes get a CSP of their own and helmet's full set; every other route keeps the API's strict set from
 * security.ts.
 */
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { browserPageHeaders } from "./security.js";

export const DOCS_PREFIX = "/docs";

/**
 * Same-origin only. Swagger UI's page loads its scripts and styles from /docs/static, fetches /docs/json and sends
 * "Try it out" requests to this origin; its logo is a data: image. 'unsafe-inline' styles: its React components set
 * style attributes, and it ships no nonce mechanism.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

async function docs(app: FastifyInstance): Promise<void> {
  // Its own scope: a page a browser renders gets helmet's full set, which the API's JSON answers go without.
  await app.register(async (scope) => {
    scope.addHook("onRequest", browserPageHeaders());
    await scope.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      staticCSP: DOCS_CSP,
      uiConfig: { deepLinking: true, displayOperationId: true, tryItOutEnabled: false },
      theme: { title: "Liveness session orchestrator: API reference" },
      // The committed document names the usual development origin; the page tries requests on the origin it is served from.
      transformSpecification: (document) => ({ ...document, servers: [{ url: "/", description: "This server" }] }),
    });
  });
}

export default fp(docs, { name: "docs", dependencies: ["openapi"] });
