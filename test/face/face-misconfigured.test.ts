/**
 * A client pointed at the wrong place (a path after the endpoint, another API version) gets 404s for every route.
 * Those must not read as "session not found": the caller gets 502 LSO_ERR_UPSTREAM_MISCONFIGURED, /readyz says so,
 * and the log names the host and path tried, never the key. Against the real emulator over HTTP, and against the
 * Face cloud host (nock) for Azure's own "Resource not found".
 */
import type { FastifyInstance } from "fastify";
import nock from "nock";
import { getGlobalDispatcher } from "undici";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { apiKeysEnv, auth, CapturedLogs, createSession, FACE_KEY } from "../helpers/app-harness.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

const CLOUD = "https://face-misconfigured.cognitiveservices.azure.com";
const CLOUD_KEY = "cloud-face-key-0123456789abcdef";

let app: FastifyInstance | undefined;
let emulator: RunningEmulator | undefined;
const logs = new CapturedLogs();
/** Unredacted, so "the key is never logged" means the code never tried to log it. */
const rawLogger = () => pino({ level: "debug" }, logs.stream);

afterEach(async () => {
  await app?.close();
  await emulator?.close();
  app = emulator = undefined;
  logs.lines.length = 0;
  nock.cleanAll();
});

/** The app with its Face client aimed at `endpoint` as given: loadConfig would refuse a path, so it is set after. */
/** An operator key: /readyz shows its checks (why Face is down) only to an operator. */
const OPERATOR_KEY = "operator-key-0123456789abcdef";

async function appAt(endpoint: string, apiKey: string): Promise<FastifyInstance> {
  const base = loadConfig({ API_KEYS: apiKeysEnv, LOG_LEVEL: "debug", ADMIN_API_KEYS: `ops:${OPERATOR_KEY}` });
  const built = await buildApp({ ...base, face: { ...base.face, endpoint, apiKey } }, { logger: rawLogger() });
  await built.ready();
  return built;
}

const failureLine = (operation: string) =>
  logs.records().find((r) => r.faceOperation === operation && r.errorCode === "LSO_ERR_UPSTREAM_MISCONFIGURED");

describe("against the real emulator, at a wrong path", () => {
  it.each([
    ["liveness", "createLivenessSession", "/detectLiveness-sessions", {}],
    ["livenessWithVerify", "createLivenessWithVerifySession", "/detectLivenessWithVerify-sessions", { verifyImage: makeTestJpeg().toString("base64") }],
  ] as const)("when a %s session is created, then 502 LSO_ERR_UPSTREAM_MISCONFIGURED and the log names host and path", async (kind, operation, route, extra) => {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    app = await appAt(`${emulator.url}/face/v1.2`, FACE_KEY);

    const res = await createSession(app, { kind, deviceCorrelationId: "device-1", ...extra });

    expect(res.statusCode).toBe(502);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_UPSTREAM_MISCONFIGURED", message: "The Face endpoint or API version looks wrong: Azure AI Face has no such route." });
    // Nothing reached a Face operation, so no session (and no auth token) was made anywhere.
    expect(Object.values(emulator.state.requestCounts()).every((n) => n === 0)).toBe(true);
    const line = failureLine(operation);
    expect(line).toMatchObject({ level: 50, status: 404, faceHost: new URL(emulator.url).host, facePath: `/face/v1.2/face/v1.2${route}` });
    expect(String(line?.msg)).toContain(`${new URL(emulator.url).host}/face/v1.2/face/v1.2${route}`);
    expect(String(line?.msg)).toMatch(/check FACE_ENDPOINT/);
    expect(logs.text).not.toContain(FACE_KEY);
  });

  it("when readiness is probed, then /readyz is 503 with the misconfiguration code, not ready on a stray 404", async () => {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    app = await appAt(`${emulator.url}/other`, FACE_KEY);

    const ready = await app.inject({ method: "GET", url: "/readyz", headers: { "x-admin-key": OPERATOR_KEY } });

    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.face).toEqual({ status: "down", code: "LSO_ERR_UPSTREAM_MISCONFIGURED" });
    expect(failureLine("probe")).toMatchObject({ facePath: "/other/face/v1.2/detectLiveness-sessions/{sessionId}" });
  });

  it("when the same app is pointed at the emulator's origin, then the create works (the path alone was wrong)", async () => {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    app = await appAt(emulator.url, FACE_KEY);
    expect((await createSession(app, { kind: "liveness", deviceCorrelationId: "device-1" })).statusCode).toBe(201);
    expect(emulator.state.requestCount("createLivenessSession")).toBe(1);
  });
});

describe("against the Face cloud host", () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());

  const resourceNotFound = { error: { code: "404", message: "Resource not found" } };

  it("when Azure answers a create with 404 Resource not found, then 502 LSO_ERR_UPSTREAM_MISCONFIGURED, sent once, key never logged", async () => {
    const scope = nock(CLOUD).post("/face/v1.2/detectLiveness-sessions").reply(404, resourceNotFound, { "apim-request-id": "apim-1" });
    const config = loadConfig({ STATE_BACKEND: "memory", FACE_ENDPOINT: CLOUD, FACE_APIKEY: CLOUD_KEY, API_KEYS: apiKeysEnv });
    app = await buildApp(config, { logger: rawLogger(), faceDispatcher: getGlobalDispatcher() });

    const res = await createSession(app, { kind: "liveness", deviceCorrelationId: "device-1" });

    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe("LSO_ERR_UPSTREAM_MISCONFIGURED");
    expect(scope.isDone()).toBe(true);
    expect(failureLine("createLivenessSession")).toMatchObject({
      faceHost: "face-misconfigured.cognitiveservices.azure.com",
      facePath: "/face/v1.2/detectLiveness-sessions",
      apimRequestId: "apim-1",
    });
    expect(logs.text).not.toContain(CLOUD_KEY);
  });

  it("when Azure answers a session read with 404 Resource not found, then it is not 'session not found' and is not retried", async () => {
    const create = nock(CLOUD)
      .post("/face/v1.2/detectLiveness-sessions")
      .reply(200, { sessionId: "b12e033e-bda7-4b83-a211-e721c661f30e", authToken: "t", status: "NotStarted", modelVersion: "2024-11-15", results: { attempts: [] } });
    let reads = 0;
    nock(CLOUD)
      .get("/face/v1.2/detectLiveness-sessions/b12e033e-bda7-4b83-a211-e721c661f30e")
      .times(5)
      .reply(404, () => {
        reads += 1;
        return resourceNotFound;
      });
    const config = loadConfig({ STATE_BACKEND: "memory", FACE_ENDPOINT: CLOUD, FACE_APIKEY: CLOUD_KEY, API_KEYS: apiKeysEnv, SESSION_WATCH_INTERVAL_MS: "0" });
    app = await buildApp(config, { logger: rawLogger(), faceDispatcher: getGlobalDispatcher() });
    const id = (await createSession(app, { kind: "liveness", deviceCorrelationId: "device-1" })).json().id as string;
    expect(create.isDone()).toBe(true);

    const read = await app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth() });

    expect(read.statusCode).toBe(502);
    expect(read.json().error.code).toBe("LSO_ERR_UPSTREAM_MISCONFIGURED");
    expect(reads).toBe(1);
    expect(failureLine("getLivenessSession")).toMatchObject({ facePath: "/face/v1.2/detectLiveness-sessions/{sessionId}" });
  });
});
