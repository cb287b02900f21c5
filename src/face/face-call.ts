import { performance } from "node:perf_hooks";

import type { FastifyBaseLogger } from "fastify";

import type { AppError } from "../errors.js";
import type { Clock } from "../lib/clock.js";
import type { FaceCallContext, FaceReply } from "./face-gateway.js";
import {
  isMissingRoute,
  mapFaceHttpFailure,
  mapTransportFailure,
  mapUnexpectedReply,
  type FaceHttpFailure,
  type FaceResource,
  type MappedFailure,
} from "./face-errors.js";
import { FaceAbortSignal } from "./face-abort-signal.js";
import { FaceSchemaMismatch } from "./face-normalise.js";
import { faceErrorResponseSchema } from "./face-schemas.js";

/**
 * Runs one Face call: owns its timeout, maps every failure to an AppError, and writes the one log line per call.
 * The only place that sees raw Face replies besides the parsers, so it is also where secrets must not leak:
 * nothing here logs a body, a header other than `apim-request-id`, or an SDK error object (those carry the
 * request and response, bodies included).
 */

export type FaceOperation =
  | "createLivenessSession"
  | "createLivenessWithVerifySession"
  | "getLivenessSession"
  | "getLivenessWithVerifySession"
  | "deleteLivenessSession"
  | "deleteLivenessWithVerifySession"
  | "getSessionImage"
  | "probe";

/** The parts of an SDK response we use, with the body fully read (a stream is drained by `send`). */
export interface RawFaceResponse {
  status: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface FaceCallSpec<T> {
  operation: FaceOperation;
  resource: FaceResource;
  /** The route under the API base, as a template (`/detectLiveness-sessions/{sessionId}`): what a log may name. */
  route: string;
  /** Statuses that count as success; anything else, even another 2xx, is mapped as a failure. */
  okStatuses: readonly number[];
  send(abortSignal: AbortSignal): PromiseLike<RawFaceResponse>;
  /** Parses a success body; throws FaceSchemaMismatch when it does not follow the schema. */
  parse(body: unknown, headers: Record<string, string>): T;
}

export interface FaceCallDeps {
  logger: FastifyBaseLogger;
  timeoutMs: number;
  clock: Clock;
  /** The API base the client sends to, `<endpoint>/face/<version>`; its host and path name a missing route. */
  baseUrl: string;
}

/** A timeout we own, so a timeout is told apart from every other abort, and the timer is always cleared. */
function sendWithTimeout<T>(timeoutMs: number, send: (signal: AbortSignal) => PromiseLike<T>): Promise<T> {
  const signal = new FaceAbortSignal();
  /*
   * Whichever settles first, the call or the deadline, settles the promise: the deadline holds even if some layer
   * below ignored the abort signal. One promise settled by hand rather than Promise.race over a deadline promise.
   */
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Rejected first: the deadline holds even if a listener below throws on the abort.
      reject(new FaceTimeout());
      signal.abort();
    }, timeoutMs);
    try {
      // The request parameters' type names the native AbortSignal; the pipeline takes any AbortSignalLike.
      send(signal as unknown as AbortSignal).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    } catch (error) {
      clearTimeout(timer);
      reject(error);
    }
  });
}

class FaceTimeout extends Error {}

/** Face's `{error:{code,message}}` from a reply body of any shape; empty when it is not one. */
export function decodeErrorBody(body: unknown): { code?: string; message?: string } {
  let value = body;
  try {
    if (value instanceof Uint8Array) value = new TextDecoder().decode(value);
    if (typeof value === "string") value = JSON.parse(value);
  } catch {
    return {};
  }
  const parsed = faceErrorResponseSchema.safeParse(value);
  return parsed.success ? parsed.data.error : {};
}

/** The SDK throws (instead of returning) when an error reply claims JSON but is not; it still carries a status. */
function httpStatusOfThrown(err: unknown): { status: number; header: (name: string) => string | undefined } | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { statusCode, response } = err as { statusCode?: unknown; response?: { headers?: { get?: unknown } } };
  const get = response?.headers?.get;
  if (typeof statusCode !== "number" || typeof get !== "function") return undefined;
  return { status: statusCode, header: (name) => (get.call(response?.headers, name) as string | undefined) ?? undefined };
}

export async function runFaceCall<T>(
  deps: FaceCallDeps,
  ctx: FaceCallContext | undefined,
  spec: FaceCallSpec<T>,
): Promise<FaceReply<T>> {
  const call: CallLine = { log: ctx?.log ?? deps.logger, operation: spec.operation, started: performance.now(), line: { faceOperation: spec.operation } };
  const { line } = call;

  let response: RawFaceResponse;
  try {
    response = await sendWithTimeout(deps.timeoutMs, (signal) => spec.send(signal));
  } catch (err) {
    const thrown = httpStatusOfThrown(err);
    if (thrown) {
      line.status = thrown.status;
      line.apimRequestId = thrown.header("apim-request-id");
      if (thrown.status >= 200 && thrown.status < 300) {
        throw failed(call, mapUnexpectedReply("Face sent a success reply that is not valid JSON"));
      }
      const faceCode = thrown.header("x-ms-error-code");
      const retryAfter = thrown.header("retry-after");
      if (faceCode) line.faceCode = faceCode;
      const failure = mapFaceHttpFailure(
        {
          status: thrown.status,
          resource: spec.resource,
          target: targetOf(deps, spec),
          ...(faceCode && { faceCode }),
          ...(retryAfter && { retryAfter }),
        },
        deps.clock.now(),
      );
      throw failed(call, withTarget(failure, deps, spec));
    }
    const failure = mapTransportFailure(err, err instanceof FaceTimeout);
    throw failed(call, { ...failure, detail: { transportError: errorCodeOf(err) } });
  }

  const status = Number(response.status);
  const requestId = response.headers["apim-request-id"];
  line.status = status;
  line.apimRequestId = requestId;

  // Success bodies (session JSON, image bytes) are never error envelopes: not worth decoding.
  const body = status >= 300 ? decodeErrorBody(response.body) : {};
  const faceCode = body.code ?? response.headers["x-ms-error-code"];
  // An expected 404 (the probe's) from a route that does not exist is no success: it must not pass as "Face is up".
  const missingRoute = isMissingRoute({ status, resource: spec.resource, ...(faceCode !== undefined && { faceCode }) });
  if (spec.okStatuses.includes(status) && !missingRoute) {
    try {
      const value = spec.parse(response.body, response.headers);
      finished(call);
      return requestId === undefined ? { value } : { value, requestId };
    } catch (err) {
      if (!(err instanceof FaceSchemaMismatch)) throw err;
      throw failed(call, { ...mapUnexpectedReply("Face's reply did not match the v1.2 schema"), detail: { schemaIssuePaths: err.issuePaths } });
    }
  }

  const retryAfter = response.headers["retry-after"];
  if (faceCode !== undefined) line.faceCode = faceCode;
  const failure = mapFaceHttpFailure(
    {
      status,
      resource: spec.resource,
      target: targetOf(deps, spec),
      ...(faceCode !== undefined && { faceCode }),
      ...(body.message !== undefined && { faceMessage: body.message }),
      ...(retryAfter !== undefined && { retryAfter }),
    },
    deps.clock.now(),
  );
  // Face's message goes to our logs (never to callers, except for the image case the mapping handles).
  const mapped = withTarget(failure, deps, spec);
  throw failed(call, { ...mapped, detail: { ...mapped.detail, ...(body.message !== undefined && { faceMessage: body.message }) } });
}

/** What a call's one log line needs: filled in as the call goes, written by finished() or failed(). */
interface CallLine {
  log: FastifyBaseLogger;
  operation: FaceOperation;
  started: number;
  line: Record<string, unknown>;
}

/**
 * The call's one line: a success at debug (the access line already says the request worked), a failure at the
 * level its mapping gives (info for an expected answer such as a 404, warn or error otherwise).
 */
function finished({ log, operation, started, line }: CallLine, failure?: MappedFailure & { detail?: Record<string, unknown> }): void {
  line.durationMs = Math.round(performance.now() - started);
  if (!failure) {
    log.debug(line, "Face call");
    return;
  }
  log[failure.level]({ ...line, errorCode: failure.error.code, ...failure.detail }, `Face ${operation} failed${failure.hint ? `: ${failure.hint}` : ""}`);
}

/** Logs a failed call and gives the error to throw. */
function failed(call: CallLine, failure: MappedFailure & { detail?: Record<string, unknown> }): AppError {
  finished(call, failure);
  return failure.error;
}

/** Host and path template of a call: never the key (a header), a session id or a query. */
function targetOf(deps: FaceCallDeps, spec: FaceCallSpec<unknown>): NonNullable<FaceHttpFailure["target"]> {
  const base = new URL(deps.baseUrl);
  return { host: base.host, path: `${base.pathname.replace(/\/+$/, "")}${spec.route}` };
}

/** A missing route's log line names where the call went, so the operator sees the wrong endpoint or version. */
function withTarget(failure: MappedFailure, deps: FaceCallDeps, spec: FaceCallSpec<unknown>): MappedFailure & { detail?: Record<string, unknown> } {
  if (failure.error.code !== "LSO_ERR_UPSTREAM_MISCONFIGURED") return failure;
  const { host, path } = targetOf(deps, spec);
  return { ...failure, detail: { faceHost: host, facePath: path } };
}

/** The error's `code` (e.g. ECONNREFUSED) or name; never its message, which may quote a reply body. */
function errorCodeOf(err: unknown): string {
  if (err instanceof FaceTimeout) return "timeout";
  if (typeof err === "object" && err !== null) {
    const { code, name } = err as { code?: unknown; name?: unknown };
    if (typeof code === "string") return code;
    if (typeof name === "string") return name;
  }
  return typeof err;
}
