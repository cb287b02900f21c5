/**
 * The error registry: every error this service answers with has a stable `LSO_ERR_*` code and a fixed HTTP status.
 * Callers branch on `code`, never on `message`, so codes are never renamed once published; add new ones instead.
 * Modelled on fastify's `lib/errors.js` and undici's `lib/core/errors.js`.
 */
export const errorCatalog = {
  LSO_ERR_VALIDATION: { status: 400, message: "The request is invalid." },
  LSO_ERR_MALFORMED_BODY: { status: 400, message: "The request body could not be parsed." },
  LSO_ERR_UNAUTHORIZED: { status: 401, message: "A valid API key is required in the x-api-key header." },
  LSO_ERR_FORBIDDEN: { status: 403, message: "This client is not allowed to do that." },
  LSO_ERR_SESSION_NOT_FOUND: { status: 404, message: "No such session." },
  LSO_ERR_SESSION_IMAGE_NOT_FOUND: { status: 404, message: "This session has no session image." },
  LSO_ERR_SESSION_IMAGE_NOT_RETAINED: {
    status: 410,
    message: "This session's image was not kept: the image store was full when the session was deleted at Azure AI Face.",
  },
  LSO_ERR_ROUTE_NOT_FOUND: { status: 404, message: "No such route." },
  LSO_ERR_LOCKOUT_NOT_FOUND: { status: 404, message: "No lockout or recent failure to clear." },
  LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER: { status: 409, message: "This session has no webhook event to redeliver (it has not settled, or has no callbackUrl)." },
  LSO_ERR_WEBHOOK_DELIVERY_PENDING: { status: 409, message: "This session's webhook is still being delivered; redeliver once it is delivered or failed." },
  LSO_ERR_REQUEST_TIMEOUT: { status: 408, message: "The request was not received in time." },
  LSO_ERR_BODY_TOO_LARGE: { status: 413, message: "The request body is too large." },
  LSO_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Unsupported Content-Type." },
  LSO_ERR_IMAGE_TOO_SMALL: { status: 422, message: "The image is smaller than 1 KB." },
  LSO_ERR_IMAGE_TOO_LARGE: { status: 413, message: "The image is larger than 6 MB." },
  LSO_ERR_IMAGE_FORMAT: { status: 422, message: "The image is not a JPEG, PNG, GIF or BMP." },
  LSO_ERR_FACE_INVALID_IMAGE: { status: 422, message: "Azure AI Face rejected the image." },
  LSO_ERR_WEBHOOKS_DISABLED: { status: 422, message: "callbackUrl needs webhooks, which are off on this server (no signing secret is configured)." },
  LSO_ERR_IDEMPOTENCY_MISMATCH: { status: 422, message: "This Idempotency-Key was already used with different parameters." },
  LSO_ERR_SESSION_SETTLED: { status: 409, message: "The session's decision is settled; a different client digest cannot change it." },
  LSO_ERR_DEVICE_REFUSED: { status: 422, message: "The Face emulator refused the simulated device's call." },
  LSO_ERR_RATE_LIMITED: { status: 429, message: "Too many requests." },
  LSO_ERR_HEADERS_TOO_LARGE: { status: 431, message: "The request headers are too large." },
  LSO_ERR_CONSENT_REQUIRED: { status: 422, message: "This client must send consent evidence (consent) with every create." },
  LSO_ERR_TOO_MANY_LIVE_SESSIONS: {
    status: 429,
    message: "This client holds as many live sessions as it may; one frees when a session settles, is deleted, or its token lapses.",
  },
  LSO_ERR_LOCKED_OUT: { status: 429, message: "Too many failed liveness checks for this subject or device; retry after the cool-down." },
  LSO_ERR_INTERNAL: { status: 500, message: "Internal server error." },
  LSO_ERR_UPSTREAM: { status: 502, message: "Azure AI Face answered with an unexpected response." },
  LSO_ERR_UPSTREAM_AUTH: { status: 502, message: "The service could not authenticate to Azure AI Face." },
  LSO_ERR_UPSTREAM_MISCONFIGURED: { status: 502, message: "The Face endpoint or API version looks wrong: Azure AI Face has no such route." },
  LSO_ERR_CONSOLE_NOT_BUILT: { status: 503, message: "The console is on but its files are not built; run npm run build." },
  LSO_ERR_UPSTREAM_UNAVAILABLE: { status: 503, message: "Azure AI Face is busy or unavailable; retry later." },
  LSO_ERR_UPSTREAM_TIMEOUT: { status: 504, message: "Azure AI Face did not answer in time." },
  LSO_ERR_STATE_UNAVAILABLE: { status: 503, message: "The service's state store is unavailable; retry later." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];

/** One failing field of a validation error: a path into the input and what was wrong with it. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  message?: string;
  /** Failing field paths, for validation errors. */
  fields?: FieldIssue[];
  /** Seconds the caller should wait before retrying; becomes the Retry-After header. */
  retryAfterSeconds?: number;
  /** The upstream (Face) error code, surfaced to callers where it helps them fix their input. */
  faceCode?: string;
  /** The HTTP status Face answered with, for decisions such as "refresh the key on a 401"; never sent to callers. */
  upstreamStatus?: number;
  cause?: unknown;
}

/**
 * The one error type the service throws on purpose. The error handler turns it into the envelope;
 * anything that is not an AppError is a bug and is answered with a masked 500.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly fields?: FieldIssue[];
  readonly retryAfterSeconds?: number;
  readonly faceCode?: string;
  readonly upstreamStatus?: number;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? errorCatalog[code].message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.statusCode = errorCatalog[code].status;
    if (options.fields) this.fields = options.fields;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.faceCode !== undefined) this.faceCode = options.faceCode;
    if (options.upstreamStatus !== undefined) this.upstreamStatus = options.upstreamStatus;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
