/**
 * The OpenAPI 3.1 document, generated from the route schemas (fastify-type-provider-zod → @fastify/swagger).
 * openapi/openapi.json is this document committed; a test regenerates it and fails on drift.
 */
import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import type { OpenAPIV3_1 } from "openapi-types";
import { API_KEY_HEADER } from "./caller-auth.js";
import { RESPONSE_HEADERS_KEY, withHeaders, type RouteResponseHeader } from "./openapi-headers.js";

declare module "fastify" {
  interface FastifySchema {
    /** A ready OpenAPI requestBody, for routes whose body has more than one encoding. */
    openapiRequestBody?: unknown;
    /** Response headers of some statuses beyond those every answer carries, e.g. { 200: ["ETag"] }. */
    responseHeaders?: Partial<Record<number, RouteResponseHeader[]>>;
  }
}

/** Where the document says the API is; the /docs page points "Try it out" at its own origin instead. */
export const OPENAPI_SERVERS = [{ url: "http://127.0.0.1:3000", description: "npm start on your machine (emulator mode unless FACE_ENDPOINT is set)" }];

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

/**
 * jsonSchemaTransform, plus hand-built request bodies where a route has one, and the route's own response headers
 * passed on (as an extension @fastify/swagger copies to the operation) for withHeaders to resolve.
 */
function transform(input: TransformInput) {
  const out = jsonSchemaTransform(input);
  const { openapiRequestBody: extra, responseHeaders } = (input.schema ?? {}) as { openapiRequestBody?: unknown; responseHeaders?: unknown };
  const schema = out.schema as Record<string, unknown> | undefined;
  if (schema) {
    delete schema.openapiRequestBody;
    delete schema.responseHeaders;
    if (extra) schema.body = extra;
    if (responseHeaders) schema[RESPONSE_HEADERS_KEY] = responseHeaders;
  }
  return out;
}

/**
 * The type provider registers every named schema twice (as request input and response output); keep only the
 * components something actually references, so the document lists each shape once.
 */
type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

function withoutUnusedComponents(input: OpenApiDocument): OpenApiDocument {
  const document = input as { components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (name && !used.has(name)) {
        used.add(name);
        visit(JSON.stringify(schemas[name] ?? {}));
      }
    }
  };
  const { components: _components, ...rest } = document;
  visit(JSON.stringify(rest));
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...input, components: { ...document.components, schemas: kept } } as OpenApiDocument;
}

export interface OpenApiOptions {
  version: string;
  /** The document's `webhooks` section: what receivers get (the webhook feature describes its own). */
  webhooks: Record<string, OpenAPIV3_1.PathItemObject>;
}

async function openapi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Liveness session orchestrator",
        version: options.version,
        description:
          "App server for Azure AI Face liveness and liveness-with-verify sessions. " +
          "Every /v1 route needs an API key in the x-api-key header. Errors use one envelope with a stable code. " +
          "Besides the statuses each operation lists, Node's HTTP parser may refuse a request before any route sees it: " +
          "408 LSO_ERR_REQUEST_TIMEOUT, 431 LSO_ERR_HEADERS_TOO_LARGE, or 400 LSO_ERR_MALFORMED_BODY, in the same envelope.",
        license: { name: "MIT", identifier: "MIT" },
      },
      servers: OPENAPI_SERVERS,
      tags: [
        { name: "sessions", description: "Liveness sessions" },
        { name: "health", description: "Liveness and readiness probes" },
        { name: "privacy", description: "Erasure by subject (docs/privacy.md)" },
        { name: "webhooks", description: "Delivery log and redelivery of the signed session.decided webhook (README, Webhooks)" },
        { name: "admin", description: "Operator routes (x-admin-key, ADMIN_API_KEYS); 404 when ADMIN_API_KEYS is unset" },
      ],
      // OpenAPI 3.1 webhooks: the request we send to a callbackUrl.
      webhooks: options.webhooks,
      components: {
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: API_KEY_HEADER, description: "A caller key from API_KEYS (development: dev-only-insecure-api-key)." },
          adminKey: { type: "apiKey", in: "header", name: "x-admin-key", description: "An operator key from ADMIN_API_KEYS." },
          metricsToken: { type: "http", scheme: "bearer", description: "METRICS_TOKEN, when it is set (docs/operations.md)." },
        },
      },
    },
    transform,
    transformObject: (input) => withHeaders(withoutUnusedComponents(jsonSchemaTransformObject(input)) as OpenAPIV3_1.Document) as OpenApiDocument,
  });
}

export default fp(openapi, { name: "openapi" });
