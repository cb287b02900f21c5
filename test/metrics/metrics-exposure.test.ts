/**
 * Where /metrics is served and who may read it: on by default in emulator mode, off against a real Face unless
 * METRICS_PORT or METRICS_TOKEN says how to keep it private; METRICS_TOKEN required as a bearer token; with
 * METRICS_PORT, only on the separate app (the real server process opens that port). Each app counts in its own
 * registry.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.js";
import { ConfigError, loadConfig, type EnvInput } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { createLogger } from "../../src/logger.js";
import { buildMetricsApp } from "../../src/plugins/metrics.js";
import { apiKeysEnv, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";
import { metric } from "../helpers/metrics-text.js";
import { METRICS_TOKEN } from "./metrics-kit.js";

const REAL_FACE = { STATE_BACKEND: "memory", FACE_ENDPOINT: "https://metrics-test.cognitiveservices.azure.com", FACE_APIKEY: "face-key-0123456789abcdef", API_KEYS: apiKeysEnv };

const opened: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

/** The app as configured by `env`; in emulator mode pointed where server.ts would point it (no Face call is made here). */
async function app(env: EnvInput): Promise<FastifyInstance> {
  const config = loadConfig(env);
  const face = config.face.endpoint ? config.face : { ...config.face, endpoint: "http://127.0.0.1:9" };
  const built = await buildApp({ ...config, face }, { logger: createLogger("silent") });
  opened.push(built);
  return built;
}

const scrape = (target: FastifyInstance, headers: Record<string, string> = {}) => target.inject({ method: "GET", url: "/metrics", headers });

describe("where /metrics is served", () => {
  it("when in emulator mode with nothing set, then /metrics answers on the API's port", async () => {
    expect((await scrape(await app({}))).statusCode).toBe(200);
  });

  it("when Face is real and neither METRICS_PORT nor METRICS_TOKEN is set, then /metrics is 404, unless METRICS=on", async () => {
    expect((await scrape(await app(REAL_FACE))).statusCode).toBe(404);
    expect((await scrape(await app({ ...REAL_FACE, METRICS: "on" }))).statusCode).toBe(200);
  });

  it("when METRICS=off in emulator mode, then /metrics is 404", async () => {
    expect((await scrape(await app({ METRICS: "off" }))).statusCode).toBe(404);
  });

  it("when METRICS_TOKEN is set, then /metrics needs it as a bearer token: none or a wrong one is 401 in the envelope", async () => {
    const target = await app({ ...REAL_FACE, METRICS_TOKEN });
    const wrong: Array<Record<string, string>> = [{}, { authorization: `Bearer ${METRICS_TOKEN}x` }, { authorization: METRICS_TOKEN }, { authorization: `Basic ${METRICS_TOKEN}` }];
    for (const headers of wrong) {
      const refused = await scrape(target, headers);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe("LSO_ERR_UNAUTHORIZED");
      expect(refused.headers["www-authenticate"]).toBe('Bearer realm="metrics"');
    }
    const allowed = await scrape(target, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain("lso_http_requests_total");
  });

  it("when METRICS_PORT is set, then the API's port has no /metrics and the separate app serves the same registry, with the token", async () => {
    const target = await app({ ...REAL_FACE, METRICS_PORT: "0", METRICS_TOKEN });
    expect((await scrape(target)).statusCode).toBe(404);
    const internal = await buildMetricsApp(target.metrics.registry, { token: METRICS_TOKEN, logger: createLogger("silent") });
    opened.push(internal);
    expect((await scrape(internal)).statusCode).toBe(401);
    const allowed = await scrape(internal, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(allowed.statusCode).toBe(200);
    // The public port's 404 for /metrics was counted by the app, and shows on the internal port.
    expect(metric(allowed.body, "lso_http_requests_total", { route: "unmatched", status_class: "4xx" })).toBe(1);
  });

  it("when METRICS=off is set with METRICS_PORT or METRICS_TOKEN, or METRICS_PORT equals PORT, then the configuration is refused naming it", () => {
    expect(() => loadConfig({ METRICS: "off", METRICS_PORT: "9464" })).toThrow(/METRICS_PORT: set while METRICS=off/);
    expect(() => loadConfig({ METRICS: "off", METRICS_TOKEN })).toThrow(/METRICS_TOKEN: set while METRICS=off/);
    expect(() => loadConfig({ PORT: "3000", METRICS_PORT: "3000" })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_PORT: "tcp://10.0.0.7:9464" })).toThrow(/Kubernetes service link for a Service named 'metrics'/);
  });
});

describe("one registry per app", () => {
  let first: TestStack | undefined;
  let second: TestStack | undefined;
  afterEach(async () => {
    await first?.close();
    await second?.close();
  });

  it("when two apps run in one process, then each scrape counts only its own app's traffic", async () => {
    first = await startStack();
    second = await startStack();
    expect((await createSession(first.app, { kind: "liveness" })).statusCode).toBe(201);
    expect(metric((await scrape(first.app)).body, "lso_sessions_created_total", { kind: "liveness" })).toBe(1);
    expect(metric((await scrape(second.app)).body, "lso_sessions_created_total", { kind: "liveness" })).toBeUndefined();
  });
});

describe("METRICS_PORT in the real server process", () => {
  let server: RunningProcess | undefined;
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await server?.stop("SIGKILL");
    await emulator?.close();
  });

  it("when the server starts with METRICS_PORT=0, then it logs the metrics URL, serves /metrics there with the token, and not on the API's port", async () => {
    emulator = await startEmulator({ port: 0, apiKey: "face-key-metrics-port-0123" });
    server = startNodeProcess("src/server.ts", {
      FACE_ENDPOINT: emulator.url,
      FACE_APIKEY: "face-key-metrics-port-0123",
      API_KEYS: apiKeysEnv,
      STATE_BACKEND: "memory",
      METRICS_PORT: "0",
      METRICS_TOKEN,
      SHUTDOWN_DRAIN_DELAY_MS: "0",
    });
    const [, api, metricsUrl] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"metricsUrl":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/);
    expect((await fetch(`${api}/metrics`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${metricsUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(metric(await scraped.text(), "lso_http_requests_total", { route: "unmatched" })).toBe(1);
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.output()).not.toContain(METRICS_TOKEN);
  });
});
