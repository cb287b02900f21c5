/**
 * The HTTP headers of the OpenAPI document, written once as components and referenced from every operation:
 * what every answer carries (request id, rate limit), what some answers carry (Retry-After, ETag,
 * Idempotent-Replayed), and the request id a caller may send. @fastify/swagger has no notion of shared headers,
 * so they are added to the finished document here.
 */
import type { OpenAPIV3_1 } from "openapi-types";
import { REQUEST_ID_HEADER } from "../logger.js";

const stringHeader = (description: string): OpenAPIV3_1.HeaderObject => ({ description, schema: { type: "string" } });
const integerHeader = (description: string): OpenAPIV3_1.HeaderObject => ({ description, schema: { type: "integer", minimum: 0 } });

export const headerComponents = {
  RequestId: stringHeader("The request's id: yours when you sent a safe one in x-request-id, else a UUID. Also in every error body and log line."),
  RateLimitLimit: integerHeader("Requests allowed per minute by the narrowest limit that applies (per client on /v1, else per IP)."),
  RateLimitRemaining: integerHeader("Requests left in the current one-minute window."),
  RateLimitReset: integerHeader("Seconds until the current window ends."),
  RetryAfter: integerHeader("Seconds to wait before retrying (rate limit, lockout, Face busy or unavailable)."),
  ETag: stringHeader("A strong tag of this exact view; send it back in If-None-Match to get 304 while nothing changed."),
  IdempotentReplayed: stringHeader('"true" when this answer replays an earlier create with the same Idempotency-Key.'),
} satisfies Record<string, OpenAPIV3_1.HeaderObject>;

/** Response headers a route may declare for some of its statuses (schema.responseHeaders). */
export const routeResponseHeaders = {
  ETag: "ETag",
  "Idempotent-Replayed": "IdempotentReplayed",
} as const satisfies Record<string, keyof typeof headerComponents>;

export type RouteResponseHeader = keyof typeof routeResponseHeaders;

export const parameterComponents = {
  RequestId: {
    name: REQUEST_ID_HEADER,
    in: "header",
    required: false,
    description: "Your own id for the request (1 to 128 of A-Z a-z 0-9 . _ : -), echoed back and logged, so traces join up; otherwise one is made.",
    schema: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" },
  },
} satisfies Record<string, OpenAPIV3_1.ParameterObject>;

/** Carries schema.responseHeaders from the route transform to the finished document. */
export const RESPONSE_HEADERS_KEY = "x-lso-response-headers";

const ref = (name: keyof typeof headerComponents) => ({ $ref: `#/components/headers/${name}` });

/** Every answer of every route carries the request id (onRequest hook). */
const everyResponse = { [REQUEST_ID_HEADER]: ref("RequestId") };

/** Every answer of a rate-limited route (one that documents a 429) carries the limit's state (security plugin). */
const rateLimitHeaders = {
  "RateLimit-Limit": ref("RateLimitLimit"),
  "RateLimit-Remaining": ref("RateLimitRemaining"),
  "RateLimit-Reset": ref("RateLimitReset"),
};

const isErrorEnvelope = (response: OpenAPIV3_1.ResponseObject) =>
  JSON.stringify(response.content?.["application/json"]?.schema ?? {}) === JSON.stringify({ $ref: "#/components/schemas/ErrorEnvelope" });

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** Adds the header and parameter components, and references them from every operation of `paths`. */
export function withHeaders<T extends OpenAPIV3_1.Document>(document: T): T {
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = pathItem?.[method] as (OpenAPIV3_1.OperationObject & { [RESPONSE_HEADERS_KEY]?: Record<string, RouteResponseHeader[]> }) | undefined;
      if (!operation) continue;
      const declared = operation[RESPONSE_HEADERS_KEY] ?? {};
      delete operation[RESPONSE_HEADERS_KEY];
      operation.parameters = [{ $ref: "#/components/parameters/RequestId" }, ...(operation.parameters ?? [])];
      // The probes and /metrics are exempt from the rate limit: no 429, no RateLimit-* headers.
      const limited = operation.responses?.["429"] !== undefined ? rateLimitHeaders : {};
      for (const [status, response] of Object.entries(operation.responses ?? {}) as Array<[string, OpenAPIV3_1.ResponseObject]>) {
        const own = Object.fromEntries((declared[status] ?? []).map((name) => [name, ref(routeResponseHeaders[name])]));
        // Retry-After comes with an AppError that carries retryAfterSeconds: always on 429, and on Face's 503s.
        const retry: Record<string, OpenAPIV3_1.ReferenceObject> =
          (status === "429" || status === "503") && isErrorEnvelope(response) ? { "Retry-After": ref("RetryAfter") } : {};
        response.headers = { ...everyResponse, ...limited, ...retry, ...own, ...response.headers };
      }
    }
  }
  document.components = { ...document.components, headers: headerComponents, parameters: parameterComponents };
  return document;
}
