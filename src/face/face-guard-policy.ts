/**
 * The guard's rules as pure functions: which operations may be repeated, which failures are worth a retry, which
 * ones say Face is unhealthy (the breaker's business) and which only say "slow down" (Retry-After's business).
 */
import { AppError, isAppError, type ErrorCode } from "../errors.js";
import type { FaceGateway } from "./face-gateway.js";

export type GuardOperation = keyof FaceGateway;

export const guardOperations = [
  "createLivenessSession",
  "createLivenessWithVerifySession",
  "getSession",
  "deleteSession",
  "getSessionImage",
  "probe",
] as const satisfies readonly GuardOperation[];

/**
 * Operations a second attempt cannot harm. Creates are absent on purpose: a create whose reply was lost (timeout,
 * reset, 5xx after the work was done) may have made a session, and repeating it would leave an orphan at Face
 * holding a live auth token that nobody deletes.
 */
export const retrySafeOperations: ReadonlySet<GuardOperation> = new Set(["getSession", "getSessionImage", "deleteSession", "probe"]);

/**
 * Worth another attempt: Face throttling, unavailable or unreachable, our timeout, and LSO_ERR_UPSTREAM (mostly a 5xx;
 * its rarer causes, a malformed body or a 400 we did not foresee, cost at most a bounded idempotent repeat).
 * Never 4xx-mapped codes (not found, invalid image) or LSO_ERR_UPSTREAM_AUTH: repeating cannot change the answer.
 */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(["LSO_ERR_UPSTREAM_UNAVAILABLE", "LSO_ERR_UPSTREAM_TIMEOUT", "LSO_ERR_UPSTREAM"]);

export function isRetryable(err: unknown): boolean {
  if (!isAppError(err) || !RETRYABLE.has(err.code)) return false;
  // Where the mapper recorded Face's status, a 4xx behind LSO_ERR_UPSTREAM (a 400 we did not foresee) is final.
  const status = upstreamStatusOf(err);
  return !(err.code === "LSO_ERR_UPSTREAM" && status !== undefined && status < 500);
}

/** Read structurally: AppError gains `upstreamStatus` only where face-errors.ts knows Face's HTTP status. */
function upstreamStatusOf(err: AppError): number | undefined {
  const status: unknown = (err as { upstreamStatus?: unknown }).upstreamStatus;
  return typeof status === "number" ? status : undefined;
}

export type BreakerOutcome = "success" | "failure" | "neutral";

/**
 * What a call's result says about Face's health.
 * - failure: 5xx/unusable reply (LSO_ERR_UPSTREAM), our timeout, a transport failure the mapper marked, or a bug.
 * - neutral: LSO_ERR_UPSTREAM_UNAVAILABLE. 429/503/409 are Face throttling: honoured through the shared Retry-After
 *   pause, never a reason to cut Face off. face-errors.ts maps "could not connect / reset" to the same code with
 *   `retryAfterSeconds: 1`, indistinguishable from a 429; such an error counts as a failure only when its `cause`
 *   carries `{ transportError: "<code>" }` (see isTransportFailure).
 * - success: any answer that proves Face is working, including 4xx-mapped errors and LSO_ERR_UPSTREAM_AUTH (a
 *   credential problem the breaker cannot help with).
 */
export function breakerOutcome(err: unknown): BreakerOutcome {
  if (err === undefined) return "success";
  if (!isAppError(err)) return "failure";
  if (err.code === "LSO_ERR_UPSTREAM" || err.code === "LSO_ERR_UPSTREAM_TIMEOUT") return "failure";
  if (err.code === "LSO_ERR_UPSTREAM_UNAVAILABLE") return isTransportFailure(err) ? "failure" : "neutral";
  return "success";
}

function isTransportFailure(err: AppError): boolean {
  const cause: unknown = err.cause;
  return typeof cause === "object" && cause !== null && typeof (cause as { transportError?: unknown }).transportError === "string";
}

/** Face's own back-off request, when the error carries one. */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (!isAppError(err) || err.code !== "LSO_ERR_UPSTREAM_UNAVAILABLE" || err.retryAfterSeconds === undefined) return undefined;
  return err.retryAfterSeconds * 1000;
}

/**
 * Exponential backoff with equal jitter: half the step is fixed, so a retry never fires at once, and half is random,
 * so callers that failed together do not come back together. `retry` counts from 1.
 */
export function backoffDelayMs(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Seconds for a Retry-After header: whole, at least 1 and at most 60, like face-errors' parseRetryAfter. */
export function retryAfterSeconds(ms: number): number {
  return Math.min(60, Math.max(1, Math.ceil(ms / 1000)));
}

/** The guard's own refusals look exactly like Face's 503: callers handle one code, with Retry-After. */
export function unavailable(waitMs: number): AppError {
  return new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds: retryAfterSeconds(waitMs) });
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep: its timer is unref'd, so a waiting call never keeps the process alive on its own. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });
