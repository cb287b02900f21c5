/**
 * pino options shared by the API and the emulator. Secrets are kept out of logs twice over: nothing logs bodies or
 * headers on purpose, and redaction catches the known secret-bearing paths should a serializer ever include them.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export const REQUEST_ID_HEADER = "x-request-id";

export const redactPaths = [
  'req.headers["x-api-key"]',
  'req.headers["x-admin-key"]',
  "req.headers.authorization",
  'req.headers["ocp-apim-subscription-key"]',
  "req.headers.cookie",
  // @fastify/multipart logs the options it hands busboy at trace level, the request's headers among them.
  'busboyOptions.headers["x-api-key"]',
  'busboyOptions.headers["x-admin-key"]',
  "busboyOptions.headers.authorization",
  "busboyOptions.headers.cookie",
  "authToken",
  "*.authToken",
  "apiKey",
  "*.apiKey",
  "verifyImage",
  "*.verifyImage",
  "secret",
  "*.secret",
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: "[redacted]" },
    // The service name on every line lets log pipelines shared with other services filter us cheaply.
    base: { service: "liveness-orchestrator" },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Reuses a caller's or proxy's request id when it is safe to echo (so traces join up across services),
 * and mints a UUID otherwise; an arbitrary header value must never be copied into logs or replies.
 */
export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export type { Logger };
