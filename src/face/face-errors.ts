import { AppError } from "../errors.js";

/**
 * Maps Face's bad days to our error registry. Pure functions: the caller (face-call.ts) logs, using the
 * `level` and `hint` returned here, so the mapping and its log wording live side by side and are unit-testable.
 *
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/reference-face-error-codes
 */

/**
 * What a call addressed: `sessions` is the collection a create POSTs to, which always exists at a working endpoint;
 * `session` and `sessionImage` are single resources that come and go.
 */
export type FaceResource = "sessions" | "session" | "sessionImage";
export type FailureLogLevel = "info" | "warn" | "error";

export interface FaceHttpFailure {
  status: number;
  resource: FaceResource;
  /** `error.code` of the body, else the `x-ms-error-code` header. */
  faceCode?: string;
  faceMessage?: string;
  retryAfter?: string;
  /** Where the call went, as `host` and path template (no ids, no query), for the operator's hint. */
  target?: { host: string; path: string };
}

export interface MappedFailure {
  error: AppError;
  /** `info` for outcomes a healthy system sees (expired session, a user's bad photo); louder for ours or Face's. */
  level: FailureLogLevel;
  /** What an operator should do about it. Never contains secrets. */
  hint?: string;
}

const RETRY_AFTER_MIN_SECONDS = 1;
/** Face asks for seconds; a larger ask (or a date far ahead) is more likely a bad clock than advice worth passing on. */
const RETRY_AFTER_MAX_SECONDS = 60;
const INVALID_IMAGE_CODES = new Set(["InvalidImage", "InvalidImageSize"]);

/**
 * `Retry-After` is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Absent or unparseable means 1 s.
 * Always clamped to [1, 60] so a caller is neither told to hammer Face nor to go away for an hour.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number {
  const clamp = (seconds: number) =>
    Math.min(RETRY_AFTER_MAX_SECONDS, Math.max(RETRY_AFTER_MIN_SECONDS, Math.ceil(seconds)));
  const value = header?.trim();
  if (!value) return RETRY_AFTER_MIN_SECONDS;
  if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number(value));
  const at = Date.parse(value);
  if (Number.isNaN(at)) return RETRY_AFTER_MIN_SECONDS;
  return clamp((at - nowMs) / 1000);
}

/**
 * A 404 that says "no such route" rather than "no such session": every 404 on the collection (a create), and on a
 * single resource one without Face's own code, i.e. Azure's gateway's `"404"` "Resource not found" or a page from some
 * other server. Face answers a gone session with `SessionNotFound`, so only that kind of 404 means the caller's id.
 */
export function isMissingRoute(failure: Pick<FaceHttpFailure, "status" | "resource" | "faceCode">): boolean {
  if (failure.status !== 404) return false;
  return failure.resource === "sessions" || failure.faceCode === undefined || failure.faceCode === "404";
}

/** Maps a non-success HTTP answer from Face. */
export function mapFaceHttpFailure(failure: FaceHttpFailure, nowMs: number): MappedFailure {
  const { status, faceCode, faceMessage, resource } = failure;

  if (isMissingRoute(failure)) {
    // Not the caller's fault and not Face's health: this deployment points at the wrong place. Louder than a 404
    // (which would read "session not found" to the caller and hide the cause from everyone).
    const where = failure.target ? ` (${failure.target.host}${failure.target.path})` : "";
    return {
      error: new AppError("LSO_ERR_UPSTREAM_MISCONFIGURED", { upstreamStatus: status }),
      level: "error",
      hint:
        `Face has no such route${where}: check FACE_ENDPOINT (the resource's origin, ` +
        "https://<resource>.cognitiveservices.azure.com, nothing after it) and FACE_API_VERSION",
    };
  }
  if (status === 404) {
    // Face says SessionNotFound for unknown and expired ids alike.
    const code = resource === "sessionImage" ? "LSO_ERR_SESSION_IMAGE_NOT_FOUND" : "LSO_ERR_SESSION_NOT_FOUND";
    return { error: new AppError(code), level: "info" };
  }
  if (status === 400 && faceCode !== undefined && INVALID_IMAGE_CODES.has(faceCode)) {
    // The one case where Face's code and message reach the caller: they are about the caller's own image
    // ("No face detected in the image.", ...) and tell them what to fix. Everywhere else they stay in our logs.
    const message = faceMessage ? `Azure AI Face rejected the image: ${faceMessage}` : undefined;
    return { error: new AppError("LSO_ERR_FACE_INVALID_IMAGE", { faceCode, message }), level: "info" };
  }
  if (status === 400) {
    return {
      error: new AppError("LSO_ERR_UPSTREAM"),
      level: "error",
      hint: "Face rejected a request our own validation accepted: our validation and Face disagree",
    };
  }
  if (status === 401 || status === 403) {
    return { error: new AppError("LSO_ERR_UPSTREAM_AUTH", { upstreamStatus: status }), level: "error", hint: authHint(status, faceCode) };
  }
  if (status === 408 || status === 409 || status === 429 || status === 503) {
    // 409 ConcurrentOperationConflict and 429 are Face asking us to back off; 408 is a transient gateway timeout.
    const retryAfterSeconds = parseRetryAfter(failure.retryAfter, nowMs);
    // Face's status rides along (never to callers) so metrics tell a 429 from a 503.
    return { error: new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds, upstreamStatus: status }), level: "warn" };
  }
  return {
    // Only a 5xx carries its status: the guard reads a 4xx status behind LSO_ERR_UPSTREAM as final, and the
    // statuses left here (other 4xx, 3xx) are retried today; telling them apart is not the metrics' job.
    error: new AppError("LSO_ERR_UPSTREAM", status >= 500 ? { upstreamStatus: status } : {}),
    level: "error",
    hint: status >= 500 ? "Face failed" : `Face answered with an unexpected status ${status}`,
  };
}

/**
 * 401 and 403 mean different things to fix. 401: the key (or Entra ID token) is not valid for this resource, which
 * Face also answers for a key used against another region's endpoint. 403: the credential is valid but not allowed:
 * a feature without its limited-access approval, an identity without its role, or the resource's network rules.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/reference-face-error-codes
 */
function authHint(status: 401 | 403, faceCode: string | undefined): string {
  if (status === 401) {
    return "Face refused our credentials (401): check FACE_APIKEY (or its Key Vault secret) belongs to the resource FACE_ENDPOINT names; with Entra ID, that the token is for that resource";
  }
  if (faceCode === "UnsupportedFeature") {
    return "Face refused the feature (403 UnsupportedFeature): the Face resource may lack approval for it (https://aka.ms/facerecognition); FACE_APIKEY and FACE_ENDPOINT are otherwise accepted";
  }
  return "Face forbade the call (403): with Entra ID, give the identity the Cognitive Services User role on the Face resource; else check the resource's networking rules, FACE_APIKEY and FACE_ENDPOINT";
}

/** System error codes that mean "could not reach Face": worth retrying later, not a bug. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  // What the SDK's Node client reports when the socket failed without a system code.
  "REQUEST_SEND_ERROR",
]);

/** @azure/identity's failures when a TokenCredential cannot produce a token. */
const CREDENTIAL_ERROR_NAMES = new Set(["CredentialUnavailableError", "AuthenticationError", "AggregateAuthenticationError"]);

function errorField(err: unknown, field: "code" | "name"): string | undefined {
  if (typeof err !== "object" || err === null || !(field in err)) return undefined;
  const value = (err as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}

/** Maps a failure where no usable HTTP answer arrived: our timeout, a network error, or a credential failure. */
export function mapTransportFailure(err: unknown, timedOut: boolean): MappedFailure {
  if (timedOut) {
    return { error: new AppError("LSO_ERR_UPSTREAM_TIMEOUT"), level: "warn", hint: "no answer within FACE_TIMEOUT_MS" };
  }
  const code = errorField(err, "code");
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return {
      // The cause marks it as a transport failure: the guard's breaker counts these, unlike a 429 with the same code.
      error: new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds: 1, cause: { transportError: code } }),
      level: "warn",
      hint: "could not reach Face: check FACE_ENDPOINT and the network",
    };
  }
  if (CREDENTIAL_ERROR_NAMES.has(errorField(err, "name") ?? "")) {
    return {
      error: new AppError("LSO_ERR_UPSTREAM_AUTH"),
      level: "error",
      hint: "could not obtain an Entra ID token for Face: check the managed identity / service principal",
    };
  }
  return { error: new AppError("LSO_ERR_UPSTREAM"), level: "error", hint: "calling Face failed unexpectedly" };
}

/** A reply we cannot use although Face meant success: a body that fails the schema, or a success status we don't expect. */
export function mapUnexpectedReply(hint: string): MappedFailure {
  return { error: new AppError("LSO_ERR_UPSTREAM"), level: "error", hint };
}
