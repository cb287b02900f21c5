/**
 * The one error envelope every error answer uses, as a zod schema (for OpenAPI and response serialisation), and
 * the one helper that turns the error codes a route can answer into its documented error responses.
 */
import { STATUS_CODES } from "node:http";
import { z } from "zod";
import { errorCatalog, errorCodes, type ErrorCode } from "../errors.js";

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes as [string, ...string[]]).describe("Stable machine-readable code; branch on this, not on message."),
      message: z.string().describe("Human-readable explanation."),
      requestId: z.string().describe("Quote this when reporting a problem; it is on every log line of the request."),
      fields: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .describe("For validation errors: the failing fields."),
      faceCode: z.string().optional().describe("The Azure AI Face error code, where it helps the caller fix the input."),
    }),
  })
  .meta({ id: "ErrorEnvelope" });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/**
 * What any route can answer, before its own code runs: a request line or headers we refuse (no Host, an odd
 * Expect, a badly encoded URL: 400), the per-IP rate limit (429), and a bug (500, masked).
 */
const anyRoute = ["LSO_ERR_VALIDATION", "LSO_ERR_RATE_LIMITED", "LSO_ERR_INTERNAL"] as const satisfies readonly ErrorCode[];

/** A /v1 or /admin request without a valid key. */
export const authErrors = ["LSO_ERR_UNAUTHORIZED"] as const satisfies readonly ErrorCode[];

/** A POST or DELETE may carry a body (even one the route ignores): fastify parses it, and can refuse it. */
export const bodyErrors = ["LSO_ERR_MALFORMED_BODY", "LSO_ERR_BODY_TOO_LARGE", "LSO_ERR_UNSUPPORTED_MEDIA_TYPE"] as const satisfies readonly ErrorCode[];

/** A route that reads or writes the state (every /v1 and /admin route): its store (Redis) may be unreachable. */
export const stateErrors = ["LSO_ERR_STATE_UNAVAILABLE"] as const satisfies readonly ErrorCode[];

/** A route that calls Azure AI Face on the way (through the quota guard). */
export const upstreamErrors = [
  "LSO_ERR_UPSTREAM",
  "LSO_ERR_UPSTREAM_AUTH",
  "LSO_ERR_UPSTREAM_UNAVAILABLE",
  "LSO_ERR_UPSTREAM_TIMEOUT",
] as const satisfies readonly ErrorCode[];

export interface ErrorResponse {
  description: string;
  content: { "application/json": { schema: typeof errorEnvelopeSchema } };
}

/**
 * One documented response per status the given codes (plus what any route can answer) map to in src/errors.ts,
 * each with the envelope schema and the codes it may carry. The status comes from the registry, so a code's
 * documented status cannot drift from the one it is answered with.
 */
export function errorResponses(codes: readonly ErrorCode[], options: { rateLimited?: boolean } = {}): Record<number, ErrorResponse> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  // Routes exempt from the rate limit (the probes, /metrics: config.rateLimit false) cannot answer 429.
  const base = options.rateLimited === false ? anyRoute.filter((code) => code !== "LSO_ERR_RATE_LIMITED") : anyRoute;
  for (const code of [...base, ...codes]) {
    const { status } = errorCatalog[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const responses: Record<number, ErrorResponse> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const listed = [...byStatus.get(status)!].sort();
    responses[status] = {
      description: `${STATUS_CODES[status]}: ${listed.join(", ")}.`,
      content: { "application/json": { schema: errorEnvelopeSchema } },
    };
  }
  return responses;
}
