/**
 * One error handler for the whole API (fastify/demo's pattern): AppErrors and client errors pass through in the
 * envelope with a stable code; anything else is a bug, logged with its stack and masked as a 500 with the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, errorCatalog, isAppError, type ErrorCode, type FieldIssue } from "../errors.js";
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
  FST_ERR_ASYNC_CONSTRAINT: "LSO_ERR_VALIDATION",
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

/** Turns anything thrown into an AppError; returns undefined for what must be treated as a bug. */
export function toAppError(error: unknown): AppError | undefined {
  if (isAppError(error)) return error;
  const e = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(e) || (e.validation && e.statusCode === 400)) {
    return new AppError("LSO_ERR_VALIDATION", { fields: validationFields(e) });
  }
  if (e.code && frameworkCodes[e.code]) {
    const code = frameworkCodes[e.code]!;
    return new AppError(code, { message: code === "LSO_ERR_VALIDATION" ? e.message : errorCatalog[code].message });
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

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError && appError.statusCode < 500) {
      request.log.info({ code: appError.code, status: appError.statusCode }, "request rejected");
      return sendError(request, reply, appError);
    }
    if (appError) {
      // Upstream trouble (502/503/504): the gateway already logged Face's details; the caller gets the code only.
      request.log.warn({ code: appError.code, status: appError.statusCode }, "request failed upstream");
      return sendError(request, reply, appError);
    }
    request.log.error({ err: error }, "unexpected error");
    return sendError(request, reply, new AppError("LSO_ERR_INTERNAL"));
  });

  app.setNotFoundHandler((request, reply) => sendError(request, reply, new AppError("LSO_ERR_ROUTE_NOT_FOUND")));
}

export default fp(errorHandler, { name: "error-handler" });
