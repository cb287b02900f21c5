/**
 * pino options shared by the API and the emulator. Secrets are kept out of logs at every level, trace included, in
 * three layers: nothing of ours logs bodies or headers on purpose; any `headers` object a library logs (at trace,
 * @fastify/multipart logs the whole request's) has its credential-bearing values masked wherever it sits; and
 * redaction catches the known secret-bearing field names. Logged URLs keep their path and mask every query value,
 * since a caller may put its key there.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export const REQUEST_ID_HEADER = "x-request-id";

const CENSOR = "[redacted]";

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

/**
 * Header names whose values are credentials: x-api-key, x-admin-key, ocp-apim-subscription-key, authorization,
 * proxy-authorization, cookie, set-cookie, webhook-signature, and whatever a proxy or SDK adds in the same vein.
 * Matching by pattern rather than by list, so a header nobody listed is masked by default.
 */
const SECRET_HEADER = /key|auth|token|secret|cookie|signature|passw|credential/i;

/** How deep into a log object `headers` objects are looked for; library log objects nest a level or two. */
const MAX_DEPTH = 4;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

function maskedHeaders(headers: object): Record<string, unknown> {
  const entries = headers instanceof Map || headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return Object.fromEntries(entries.map(([name, value]) => [name, SECRET_HEADER.test(String(name)) ? CENSOR : value]));
}

/**
 * The value with every `headers` object in it (in plain objects and arrays, MAX_DEPTH deep) masked. Copy on write:
 * what a library logs is often the live request's own headers, which must not change.
 */
function withMaskedHeaders<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => withMaskedHeaders(item, depth + 1));
    return items.some((item, i) => item !== value[i]) ? (items as T) : value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const child = value[key];
    const masked = key.toLowerCase() === "headers" && child !== null && typeof child === "object" ? maskedHeaders(child) : withMaskedHeaders(child, depth + 1);
    if (masked !== child) (copy ??= { ...value })[key] = masked;
  }
  return (copy ?? value) as T;
}

/** The URL with every query value masked (a bare `?token` as a whole): names stay, for debugging. */
export function maskedUrl(url: string): string {
  const at = url.indexOf("?");
  if (at === -1) return url;
  const pairs = url.slice(at + 1).split("&").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq === -1) return pair && CENSOR;
    return `${pair.slice(0, eq)}=${CENSOR}`;
  });
  return `${url.slice(0, at)}?${pairs.join("&")}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

/** A subject in a path (DELETE /v1/subjects/{subject}) names a person: logged as *** like a query value. */
const SUBJECT_IN_PATH = /(\/subjects\/)[^/?#]+/i;

/** A request URL as the access line names it: the path only (a query may carry a key), any subject masked. */
export function loggedPath(url: string): string {
  const at = url.indexOf("?");
  return (at === -1 ? url : url.slice(0, at)).replace(SUBJECT_IN_PATH, "$1***");
}

/** Fastify's request serializer (logger-pino.js), with the query and any subject in the path masked; never headers. */
function requestSerializer(req: LoggedRequest) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : maskedUrl(req.url).replace(SUBJECT_IN_PATH, "$1***"),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: CENSOR },
    // Runs on every log object before serializers and redaction: catches headers a library logs under any key.
    formatters: { log: (object) => withMaskedHeaders(object) },
    // Serializers run after the formatter, so what they produce (an error's own request headers) is masked too.
    serializers: {
      req: requestSerializer,
      // pino's serialized error is not a plain object (its prototype carries `raw`): mask a plain copy of it.
      err: (error: Error) => withMaskedHeaders({ ...pino.stdSerializers.err(error) }),
    },
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
