/**
 * The server side of the console: when it exists (CONSOLE and emulator mode), what it serves and under which CSP,
 * and the device route that forwards the simulated phone's calls to the real emulator over HTTP.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { CONSOLE_CSP } from "../../src/console/console-plugin.js";
import { helmetHeaders } from "../../src/plugins/security.js";
import type { FaceGateway } from "../../src/face/face-gateway.js";
import { createLogger } from "../../src/logger.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";

let assets: string;
beforeAll(async () => {
  assets = await mkdtemp(join(tmpdir(), "lso-console-assets-"));
  await mkdir(join(assets, "assets"));
  await writeFile(join(assets, "index.html"), "<!doctype html><title>console</title>");
  await writeFile(join(assets, "assets", "index-abc123.js"), "console.log(1)");
  await writeFile(join(assets, "assets", "index-abc123.js.map"), "{}");
});
afterAll(async () => rm(assets, { recursive: true, force: true }));

/** A gateway that must never be called: these apps only serve the console's files and settings. */
const offline = new Proxy({} as FaceGateway, { get: () => () => Promise.reject(new Error("no Face here")) });

const production = { STATE_BACKEND: "memory", FACE_ENDPOINT: "https://face.example.cognitiveservices.azure.com", FACE_APIKEY: "k".repeat(20), API_KEYS: "acme:acme-key-0123456789abcdef" };

async function appWith(env: Record<string, string>, assetsDir = assets) {
  const config = loadConfig(env);
  // As server.ts does in emulator mode: the embedded emulator's URL becomes the endpoint (never called here).
  if (config.emulatorMode) config.face.endpoint = "http://127.0.0.1:9";
  const app = await buildApp(config, { faceGateway: offline, logger: createLogger("silent"), consoleAssetsDir: assetsDir });
  await app.ready();
  return app;
}

describe("when the console exists", () => {
  it("when in emulator mode with CONSOLE unset, then /console serves the page with the console's CSP and the dev key for the sign-in form", async () => {
    const app = await appWith({});
    const page = await app.inject({ url: "/console" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expect((await app.inject({ url: "/console/" })).body).toBe(page.body);
    expect((await app.inject({ url: "/console/api/settings" })).json()).toEqual({ deviceSimulator: true, devApiKey: "dev-only-insecure-api-key" });
    await app.close();
  });

  it("when in production with CONSOLE unset, then there is no console at all", async () => {
    const app = await appWith(production);
    expect((await app.inject({ url: "/console" })).json().error.code).toBe("LSO_ERR_ROUTE_NOT_FOUND");
    expect((await app.inject({ url: "/console/api/settings" })).statusCode).toBe(404);
    await app.close();
  });

  it("when in production with CONSOLE=on, then the console is served but has no device simulator and no dev key", async () => {
    const app = await appWith({ ...production, CONSOLE: "on" });
    expect((await app.inject({ url: "/console" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/console/api/settings" })).json()).toEqual({ deviceSimulator: false });
    const device = await app.inject({ method: "POST", url: "/console/api/device", headers: { "x-api-key": "acme-key-0123456789abcdef" }, payload: {} });
    expect(device.statusCode).toBe(404);
    await app.close();
  });

  it("when in emulator mode with CONSOLE=off, then there is no console", async () => {
    const app = await appWith({ CONSOLE: "off" });
    expect((await app.inject({ url: "/console" })).statusCode).toBe(404);
    await app.close();
  });

  it("when CONSOLE has another value, then the configuration is refused naming it", () => {
    expect(() => loadConfig({ CONSOLE: "yes" })).toThrow(/CONSOLE/);
  });
});

describe("what /console serves", () => {
  it("when a built asset is asked for, then it is served with its type and cached for good; the API keeps its own CSP", async () => {
    const app = await appWith({});
    const js = await app.inject({ url: "/console/assets/index-abc123.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toContain("text/javascript");
    expect(js.headers["cache-control"]).toContain("immutable");
    const api = await app.inject({ url: "/healthz" });
    expect(api.headers["content-security-policy"]).not.toBe(CONSOLE_CSP);
    expect(api.headers["content-security-policy"]).toContain("default-src 'none'");
    await app.close();
  });

  it("when the page is served, then it carries helmet's full set (the API's JSON answers carry the leaner REST set)", async () => {
    const app = await appWith({});
    const helmet = Object.fromEntries(helmetHeaders().filter(([name]) => name !== "content-security-policy"));
    expect(Object.keys(helmet)).toEqual(expect.arrayContaining(["cross-origin-opener-policy", "referrer-policy", "x-frame-options"]));
    const page = await app.inject({ url: "/console" });
    expect(page.headers).toMatchObject({ ...helmet, "content-security-policy": CONSOLE_CSP, "cache-control": "no-cache" });
    const api = await app.inject({ url: "/healthz" });
    expect(api.headers["referrer-policy"]).toBeUndefined();
    await app.close();
  });

  it.each([
    ["a source map", "/console/assets/index-abc123.js.map"],
    ["a path out of the folder", "/console/..%2f..%2fpackage.json"],
    ["an encoded traversal", "/console/assets/%2e%2e/%2e%2e/src/app.ts"],
    ["a file that is not there", "/console/assets/nope.js"],
  ])("when %s is asked for, then 404 in the envelope", async (_name, url) => {
    const app = await appWith({});
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("LSO_ERR_ROUTE_NOT_FOUND");
    await app.close();
  });

  it("when the console is on but not built, then /console answers 503 LSO_ERR_CONSOLE_NOT_BUILT", async () => {
    const app = await appWith({}, join(assets, "missing"));
    const res = await app.inject({ url: "/console" });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("LSO_ERR_CONSOLE_NOT_BUILT");
    expect((await app.inject({ url: "/console/assets/index-abc123.js" })).json().error.code).toBe("LSO_ERR_CONSOLE_NOT_BUILT");
    await app.close();
  });
});

describe("the device simulator's route (emulator mode, real emulator over HTTP)", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({}, { consoleAssetsDir: assets });
  });
  afterAll(async () => stack.close());

  const device = (payload: unknown, headers: Record<string, string> = auth()) =>
    stack.app.inject({ method: "POST", url: "/console/api/device", headers, payload: payload as Record<string, unknown> });

  it("when the caller plays a real face with the session's token, then the emulator records it and the digest comes back", async () => {
    const created = (await createSession(stack.app, { kind: "liveness" })).json();
    const before = stack.emulator.state.requestCount("deviceDetectLiveness");
    const res = await device({ kind: "liveness", authToken: created.authToken, action: { type: "result", livenessDecision: "realface" } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ attemptId: 1, digest: expect.stringMatching(/^[0-9A-F]{64}$/) });
    expect(stack.emulator.state.requestCount("deviceDetectLiveness")).toBe(before + 1);
    const view = (await stack.app.inject({ url: `/v1/sessions/${created.id}`, headers: auth() })).json();
    expect(view.digest).toBe(res.json().digest);
  });

  it("when the options are read, then they list the attempt errors the emulator knows", async () => {
    const res = await stack.app.inject({ url: "/console/api/device", headers: auth() });
    expect(res.json().errorCodes).toContain("FaceWithMaskDetected");
  });

  it("when the token is wrong, then 422 LSO_ERR_DEVICE_REFUSED carries the emulator's code, and no token reaches the logs", async () => {
    const created = (await createSession(stack.app, { kind: "liveness" })).json();
    const wrong = `${created.authToken}x`;
    const res = await device({ kind: "liveness", authToken: wrong, action: { type: "start" } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_DEVICE_REFUSED", faceCode: expect.any(String) });
    expect(res.body).not.toContain(wrong);
    await device({ kind: "liveness", authToken: created.authToken, action: { type: "start" } });
    expect(stack.logs.text).not.toContain(created.authToken);
    expect(stack.logs.text).not.toContain(wrong);
  });

  it("when the session is of the other kind, then the emulator refuses the token", async () => {
    const created = (await createSession(stack.app, { kind: "liveness" })).json();
    const res = await device({ kind: "livenessWithVerify", authToken: created.authToken, action: { type: "start" } });
    expect(res.json().error.code).toBe("LSO_ERR_DEVICE_REFUSED");
  });

  it.each([
    ["no API key", { kind: "liveness", authToken: "t", action: { type: "start" } }, {}, 401],
    ["an unknown action", { kind: "liveness", authToken: "t", action: { type: "explode" } }, auth(), 400],
    ["an error code that is not a name", { kind: "liveness", authToken: "t", action: { type: "error", errorCode: "../../x" } }, auth(), 400],
    ["an extra field", { kind: "liveness", authToken: "t", action: { type: "start" }, url: "http://elsewhere" }, auth(), 400],
  ])("when the request has %s, then it is refused in the envelope before anything is forwarded", async (_name, payload, headers, status) => {
    const before = stack.emulator.state.requestCounts();
    const res = await device(payload, headers as Record<string, string>);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(status === 401 ? "LSO_ERR_UNAUTHORIZED" : "LSO_ERR_VALIDATION");
    expect(stack.emulator.state.requestCounts()).toEqual(before);
  });
});
