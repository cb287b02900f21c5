/**
 * One error handler for the whole API (fastify/demo's pattern): AppErrors and client errors pass through in the
 * envelope with a stable code; anything else is a bug, logged with its stack and masked as a 500 with the request id.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, errorCatalog, isAppError, type ErrorCode, type FieldIssue } from "../errors.js";
import { genReqId, REQUEST_ID_HEADER } from "../logger.js";
import { isStateUnavailable } from "../state/state-errors.js";
import type { ErrorEnvelope } from "./error-envelope.js";

/** Fastify's and its plugins' own client-error codes, mapped onto ours. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "LSO_ERR_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "LSO_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "LSO_ERR_MALFORMED_BODY",
  FST_ERR_CTP_EMPTY_JSON_BODY: "LSO_ERR_MALFORMED_BODY",
  FST_ERR_CTP_INVALID_JSON_BODY: "LSO_ERR_MALFORMED_BODY",
  FST_INVALID_MULTIPART_CONTENT_TYPE: "LSO_ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_REQ_FILE_TOO_LARGE: "LSO_ERR_IMAGE_TOO_LARGE",
  FST_FILES_LIMIT: "LSO_ERR_BODY_TOO_LARGE",
  FST_PARTS_LIMIT: "LSO_ERR_BODY_TOO_LARGE",
  FST_FIELDS_LIMIT: "LSO_ERR_BODY_TOO_LARGE",
  FST_PROTO_VIOLATION: "LSO_ERR_VALIDATION",
  FST_ERR_BAD_URL: "LSO_ERR_VALIDATION",
  FST_ERR_MAX_PARAM_LENGTH: "LSO_ERR_VALIDATION",
  FST_ERR_ASYNC_CONSTRAINT: "LSO_ERR_VALIDATION",
};

/** Fixed messages where fastify's own would echo the caller's URL back at it. */
const frameworkMessages: Record<string, string> = {
  FST_ERR_BAD_URL: "The URL is not validly encoded.",
  FST_ERR_MAX_PARAM_LENGTH: "A path segment is too long.",
};

/** A last resort for client errors we have no mapping for: chosen by status so the envelope stays stable. */
const codeByStatus: Record<number, ErrorCode> = {
  400: "LSO_ERR_MALFORMED_BODY",
  401: "LSO_ERR_UNAUTHORIZED",
  403: "LSO_ERR_FORBIDDEN",
  404: "LSO_ERR_ROUTE_NOT_FOUND",
  406: "LSO_ERR_UNSUPPORTED_MEDIA_TYPE",
  413: "LSO_ERR_BODY_TOO_LARGE",
  415: "LSO_ERR_UNSUPPORTED_MEDIA_TYPE",
  429: "LSO_ERR_RATE_LIMITED",
};

function validationFields(error: FastifyError): FieldIssue[] {
  const where = error.validationContext ?? "body";
  return (error.validation ?? []).map((issue) => ({
    path: `${where}${issue.instancePath.replaceAll("/", ".")}`.replace(/\.$/, ""),
    message: issue.message ?? "invalid",
  }));
}

/**
 * Retry-After for a state outage: about the time the Redis connection takes to notice the server is back (its
 * reconnect delay is at most 2 s) plus a failover's first seconds.
 */
const STATE_RETRY_AFTER_SECONDS = 5;

/** Turns anything thrown into an AppError; returns undefined for what must be treated as a bug. */
export function toAppError(error: unknown): AppError | undefined {
  if (isAppError(error)) return error;
  // Wherever in the request the state failed (auth's lockout, a store read, an idempotency claim): one answer.
  if (isStateUnavailable(error)) return new AppError("LSO_ERR_STATE_UNAVAILABLE", { retryAfterSeconds: STATE_RETRY_AFTER_SECONDS });
  const e = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(e) || (e.validation && e.statusCode === 400)) {
    return new AppError("LSO_ERR_VALIDATION", { fields: validationFields(e) });
  }
  if (e.code && frameworkCodes[e.code]) {
    const code = frameworkCodes[e.code]!;
    const message = frameworkMessages[e.code] ?? (code === "LSO_ERR_VALIDATION" ? e.message : errorCatalog[code].message);
    return new AppError(code, { message });
  }
  // JSON.parse failures surface as SyntaxError with statusCode 400 from fastify's JSON parser.
  const status = e.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new AppError(codeByStatus[status] ?? "LSO_ERR_VALIDATION", { message: e.message });
  }
  return undefined;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorEnvelope = { error: { code: error.code, message: error.message, requestId: request.id } };
  if (error.fields?.length) body.error.fields = error.fields;
  if (error.faceCode) body.error.faceCode = error.faceCode;
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(Math.ceil(error.retryAfterSeconds)));
  return reply.code(error.statusCode).type("application/json; charset=utf-8").send(body);
}

/** Answers anything thrown: client errors and upstream trouble in the envelope, bugs logged and masked as a 500. */
function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error);
  if (appError && appError.statusCode < 500) {
    request.log.info({ code: appError.code, status: appError.statusCode }, "request rejected");
    return sendError(request, reply, appError);
  }
  if (appError?.code === "LSO_ERR_STATE_UNAVAILABLE") {
    // The reason is the driver's message (safe: never the command or its arguments); the caller gets the code only.
    request.log.warn({ code: appError.code, status: appError.statusCode, reason: (error as { reason?: string }).reason }, "request failed: state unavailable");
    return sendError(request, reply, appError);
  }
  if (appError) {
    // Upstream trouble (502/503/504): the gateway already logged Face's details; the caller gets the code only.
    request.log.warn({ code: appError.code, status: appError.statusCode }, "request failed upstream");
    return sendError(request, reply, appError);
  }
  request.log.error({ err: error }, "unexpected error");
  return sendError(request, reply, new AppError("LSO_ERR_INTERNAL"));
}

/**
 * Fastify's `frameworkErrors` option: a badly encoded URL or an over-long path parameter is refused by the router
 * before any hook runs, and fastify's default answer is neither our envelope nor carries x-request-id.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header(REQUEST_ID_HEADER, request.id);
  return handleError(error, request, reply);
}

/** A whole HTTP response carrying the envelope, for refusals made where fastify has no reply object. */
function rawErrorResponse(error: AppError, requestId: string): string {
  const body = JSON.stringify({ error: { code: error.code, message: error.message, requestId } } satisfies ErrorEnvelope);
  return (
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode]}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `${REQUEST_ID_HEADER}: ${requestId}\r\nconnection: close\r\n\r\n${body}`
  );
}

/** Node's HTTP parser errors with a code of their own; every other one is plain malformed HTTP. */
const clientErrorCodes: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: "LSO_ERR_HEADERS_TOO_LARGE",
  ERR_HTTP_REQUEST_TIMEOUT: "LSO_ERR_REQUEST_TIMEOUT",
};

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses (broken framing, a bad Content-Length,
 * malformed headers, an unknown method, an oversized header block) is answered in the same envelope, with a request
 * id that is also logged, instead of fastify's default body: 431 for oversized headers, 408 for a request too slow
 * to arrive (HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS), 400 LSO_ERR_MALFORMED_BODY for everything else.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const requestId = randomUUID();
  const mapped = clientErrorCodes[error.code ?? ""];
  const appError = mapped ? new AppError(mapped) : new AppError("LSO_ERR_MALFORMED_BODY", { message: "The request is not well-formed HTTP." });
  this.log.info({ reqId: requestId, code: appError.code, parserCode: error.code }, "request rejected by the HTTP parser");
  // As Node itself does: a response already under way on this socket must not be corrupted by a second one.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) socket.write(rawErrorResponse(appError, requestId));
  socket.destroy(error);
}

/**
 * The server's `connect` listener: Node hands a CONNECT request over as a bare socket and, with no listener, drops
 * the connection without a word. This API is no proxy, so CONNECT gets the same 404 as any other unknown method.
 */
export function connectHandler(log: FastifyBaseLogger): (request: IncomingMessage, socket: Duplex) => void {
  return (request, socket) => {
    const requestId = genReqId(request);
    const appError = new AppError("LSO_ERR_ROUTE_NOT_FOUND");
    log.info({ reqId: requestId, code: appError.code, method: request.method }, "request rejected");
    socket.on("error", () => socket.destroy());
    socket.end(rawErrorResponse(appError, requestId));
  };
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, request, reply) => handleError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new AppError("LSO_ERR_ROUTE_NOT_FOUND")));
}

export default fp(errorHandler, { name: "error-handler" });
