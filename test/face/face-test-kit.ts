
import { AzureKeyCredential } from "@azure/core-auth";
import type { FastifyBaseLogger } from "fastify";
import { getGlobalDispatcher } from "undici";

import { createFaceGateway, type FaceGatewayOptions } from "../../src/face/face-client.js";
import type { FaceGateway } from "../../src/face/face-gateway.js";
import { ManualClock } from "../../src/lib/clock.js";
import { isLoopbackHost } from "../../src/lib/loopback-host.js";
import { CapturedLogs } from "../helpers/captured-logs.js";

/** Shared fixtures for the Face gateway tests: a fake resource, its key, and a gateway whose logs land in memory. */
export const ENDPOINT = "https://face-test.cognitiveservices.azure.com";
export const BASE = "/face/v1.2";
export const FACE_KEY = "face-test-key-3f9a1c7e5b2d4a60";
export const AUTH_TOKEN = "eyJhbGciOiJFUzI1NiIsInNlc3Npb24tdG9rZW4ifQ.device-only";
export const SESSION_ID = "b12e033e-bda7-4b83-a211-e721c661f30e";
export const APIM_ID = "9c3f7a2e-1b4d-4e8a-9f61-0d2c5b7a8e14";

export interface TestGateway {
  gateway: FaceGateway;
  clock: ManualClock;
  /** The logger the gateway was built with; `logger.child({ reqId })` stands in for a Fastify request logger. */
  logger: FastifyBaseLogger;
  /** Every log line written so far, parsed. */
  logs(): Record<string, unknown>[];
  /** The raw log output, for "never appears" assertions. */
  rawLogs(): string;
}

export function makeGateway(overrides: Partial<FaceGatewayOptions> = {}): TestGateway {
  const captured = new CapturedLogs();
  // trace, and unredacted: the gateway must never even try to log a secret, at any level.
  const logger = captured.logger("trace", { redact: false });
  const clock = new ManualClock();
  const endpoint = overrides.endpoint ?? ENDPOINT;
  const gateway = createFaceGateway({
    // The cloud host is nock's, which intercepts undici through the global dispatcher; a loopback server gets the
    // transport's own pool, as in production.
    ...(!isLoopbackHost(new URL(endpoint).hostname) && { dispatcher: getGlobalDispatcher() }),
    endpoint: ENDPOINT,
    apiVersion: "v1.2",
    credential: new AzureKeyCredential(FACE_KEY),
    timeoutMs: 2_000,
    logger,
    clock,
    ...overrides,
  });
  return {
    gateway,
    clock,
    logger,
    rawLogs: () => captured.text,
    logs: () => captured.records(),
  };
}

export const faceHeaders = { "content-type": "application/json; charset=utf-8", "apim-request-id": APIM_ID };

export function livenessSessionReply(overrides: Record<string, unknown> = {}) {
  return {
    sessionId: SESSION_ID,
    authToken: AUTH_TOKEN,
    status: "NotStarted",
    modelVersion: "2024-11-15",
    results: { attempts: [] },
    ...overrides,
  };
}

export function verifySessionReply(overrides: Record<string, unknown> = {}) {
  return livenessSessionReply({ results: { attempts: [], verifyReferences: [] }, ...overrides });
}

export function faceError(code: string, message: string) {
  return { error: { code, message } };
}

/** A small JPEG-looking payload with bytes that are not valid UTF-8, so any text decoding would corrupt it. */
export function imageBytes(size = 2048): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let i = 4; i < size; i++) bytes[i] = (i * 37 + 11) % 256;
  return bytes;
}

export const verifyImage = { bytes: imageBytes(), filename: "verify.jpg", contentType: "image/jpeg" };

export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a raw multipart/form-data body by its boundary; enough to check what the SDK put on the wire. */
export function parseMultipart(contentType: string, raw: Buffer): Map<string, MultipartPart> {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const text = raw.toString("latin1"); // byte-preserving, so binary parts survive the round trip
  const parts = new Map<string, MultipartPart>();
  for (const chunk of text.split(`--${boundary}`).slice(1, -1)) {
    const [head = "", ...rest] = chunk.replace(/^\r\n/, "").split("\r\n\r\n");
    const headers = Object.fromEntries(
      head.split("\r\n").map((line) => {
        const at = line.indexOf(":");
        return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
      }),
    );
    const name = /name="([^"]+)"/.exec(headers["content-disposition"] ?? "")?.[1] ?? "";
    parts.set(name, { headers, body: Buffer.from(rest.join("\r\n\r\n").replace(/\r\n$/, ""), "latin1") });
  }
  return parts;
}

/** What nock saw of one request: headers and the raw body bytes. */
export interface SeenRequest {
  headers: Headers;
  body: Buffer;
}

export async function seen(request: Request): Promise<SeenRequest> {
  return { headers: request.headers, body: Buffer.from(await request.arrayBuffer()) };
}

/**
 * A reply body that arrives after `ms`: how these tests make Face slow. Not nock's `.delay()`: with nock 15.0.0,
 * aborting a request held by `.delay()` leaks an unhandled AbortError rejection from @mswjs/interceptors
 * (reproduced with a bare node:https request), which vitest rightly reports as a failure.
 */
export function slowly<T>(ms: number, value: T): () => Promise<T> {
  return () => new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}
