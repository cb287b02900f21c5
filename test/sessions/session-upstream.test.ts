/**
 * Face's bad days as the caller sees them, through the real gateway against the Face cloud host (held by nock,
 * since it cannot be reached from here): every failure is a documented status in the envelope, never a 500.
 */
import type { FastifyInstance } from "fastify";
import nock from "nock";
import { getGlobalDispatcher } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { apiKeysEnv, auth, CapturedLogs, createSession } from "../helpers/app-harness.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { slowly } from "../face/face-test-kit.js";

const ENDPOINT = "https://face-upstream-test.cognitiveservices.azure.com";
const BASE = "/face/v1.2";
const SESSION_ID = "b12e033e-bda7-4b83-a211-e721c661f30e";
const session = { sessionId: SESSION_ID, authToken: "device-token", status: "NotStarted", modelVersion: "2024-11-15", results: { attempts: [] } };
const faceError = (code: string, message = "m") => ({ error: { code, message } });

let app: FastifyInstance;
const logs = new CapturedLogs();

beforeAll(() => {
  nock.disableNetConnect();
});
// A fresh app per test: a Face 429 pauses every Face call of an app for its Retry-After, by design.
beforeEach(async () => {
  const config = loadConfig({ STATE_BACKEND: "memory", FACE_ENDPOINT: ENDPOINT, FACE_APIKEY: "face-key-0123456789", API_KEYS: apiKeysEnv, FACE_TIMEOUT_MS: "300" });
  app = await buildApp(config, { logger: createLogger("debug", logs.stream), faceDispatcher: getGlobalDispatcher() });
});
afterEach(async () => {
  await app.close();
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

async function createdSession(): Promise<string> {
  nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).reply(200, session);
  const res = await createSession(app, { kind: "liveness", deviceCorrelationId: "d" });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe("when Face fails a create", () => {
  it.each([
    ["429 with Retry-After", 429, faceError("429", "Rate limit is exceeded."), { "retry-after": "7" }, 503, "LSO_ERR_UPSTREAM_UNAVAILABLE", "7"],
    ["503", 503, faceError("ServiceUnavailable"), {}, 503, "LSO_ERR_UPSTREAM_UNAVAILABLE", "1"],
    ["401", 401, faceError("401", "Access denied"), {}, 502, "LSO_ERR_UPSTREAM_AUTH", undefined],
    ["403", 403, faceError("UnsupportedFeature"), {}, 502, "LSO_ERR_UPSTREAM_AUTH", undefined],
    ["500", 500, faceError("InternalServerError"), {}, 502, "LSO_ERR_UPSTREAM", undefined],
    ["a malformed 200", 200, { sessionId: SESSION_ID }, {}, 502, "LSO_ERR_UPSTREAM", undefined],
  ])("answering %s, then the caller gets the mapped status, and the create was sent once", async (_n, status, body, headers, ourStatus, code, retryAfter) => {
    const scope = nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).reply(status, body, headers);
    const res = await createSession(app, { kind: "liveness", deviceCorrelationId: "d" });
    expect(res.statusCode).toBe(ourStatus);
    expect(res.json().error.code).toBe(code);
    expect(res.headers["retry-after"]).toBe(retryAfter);
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("answering 400 InvalidImage for the reference image, then 422 surfaces Face's code", async () => {
    nock(ENDPOINT).post(`${BASE}/detectLivenessWithVerify-sessions`).reply(400, faceError("InvalidImage", "No face detected in the image."));
    const res = await createSession(app, { kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: makeTestJpeg().toString("base64") });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_FACE_INVALID_IMAGE", faceCode: "InvalidImage" });
    expect(res.json().error.message).toContain("No face detected in the image.");
  });

  it("too slowly, then 504 LSO_ERR_UPSTREAM_TIMEOUT", async () => {
    nock(ENDPOINT)
      .post(`${BASE}/detectLiveness-sessions`)
      // A slow body, not nock's .delay(): see slowly() in test/face/face-test-kit.ts for why.
      .reply(200, slowly(1_000, session), { "content-type": "application/json" });
    const res = await createSession(app, { kind: "liveness", deviceCorrelationId: "d" });
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe("LSO_ERR_UPSTREAM_TIMEOUT");
  });

  it("by dropping the connection, then 503 with Retry-After", async () => {
    nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const res = await createSession(app, { kind: "liveness", deviceCorrelationId: "d" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
  });
});

describe("when Face fails a read or delete", () => {
  it("and the session is gone at Face, then GET answers 404", async () => {
    const id = await createdSession();
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${id}`).reply(404, faceError("SessionNotFound"));
    const res = await app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
  });

  it("and Face keeps throttling a delete, then 503 and the session is kept so the caller can retry", async () => {
    const id = await createdSession();
    // The guard retries a delete (it is idempotent), each time after Face's Retry-After; Face says 429 every time.
    nock(ENDPOINT).delete(`${BASE}/detectLiveness-sessions/${id}`).times(3).reply(429, faceError("429"), { "retry-after": "3" });
    const res = await app.inject({ method: "DELETE", url: `/v1/sessions/${id}`, headers: auth() });
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // While Face's Retry-After runs, the guard answers at once without calling Face.
    const early = nock(ENDPOINT).delete(`${BASE}/detectLiveness-sessions/${id}`).reply(204);
    expect((await app.inject({ method: "DELETE", url: `/v1/sessions/${id}`, headers: auth() })).statusCode).toBe(503);
    expect(early.isDone()).toBe(false);
    expect((await app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth() })).statusCode).not.toBe(404);
  });

  it("and Face throttles a read once with a short Retry-After, then the guard waits and retries, and the caller never sees it", async () => {
    const id = await createdSession();
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${id}`).reply(429, faceError("429"), { "retry-after": "1" });
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${id}`).reply(200, session);
    const res = await app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("and every failure was logged with its code, then no line is an unexpected-error 500", () => {
    expect(logs.records().filter((r) => r.msg === "unexpected error")).toEqual([]);
  });
});
