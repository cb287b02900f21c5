/** What the client throws for any answer that is not a success: the server's error envelope, as an Error. */
import type { components } from "./openapi-types.js";

export type ErrorEnvelope = components["schemas"]["ErrorEnvelope"];

export class LsoApiError extends Error {
  /** The stable LSO_ERR_* code to branch on; "LSO_CLIENT_UNEXPECTED_ANSWER" when the answer was not the envelope. */
  readonly code: string;
  readonly status: number;
  /** Quote it when reporting a problem: the server logs every line of the request under it. */
  readonly requestId: string | undefined;
  readonly fields: ErrorEnvelope["error"]["fields"];
  readonly faceCode: string | undefined;
  /** From Retry-After (429, 503): seconds to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(response: Response, body: unknown) {
    const envelope = isEnvelope(body) ? body.error : undefined;
    super(envelope?.message ?? `Unexpected answer: HTTP ${response.status}`);
    this.name = "LsoApiError";
    this.status = response.status;
    this.code = envelope?.code ?? "LSO_CLIENT_UNEXPECTED_ANSWER";
    this.requestId = envelope?.requestId ?? response.headers.get("x-request-id") ?? undefined;
    this.fields = envelope?.fields;
    this.faceCode = envelope?.faceCode;
    const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
    this.retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  }
}

function isEnvelope(body: unknown): body is ErrorEnvelope {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === "string" && typeof error.message === "string";
}
