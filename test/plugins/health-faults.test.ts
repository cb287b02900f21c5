/**
 * Readiness tells the truth under Face's bad days, rehearsed with the emulator's fault injection over real HTTP:
 * a Face outage (5xx, 429, 503, resets, timeouts, an open breaker) leaves the replica ready and shows as degraded,
 * to the operator and in the metrics; a refused credential, an unreachable state backend or a drain does not.
 * /startupz answers once the replica has been ready, and stays answered.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/emulator-server.js";
import { systemClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { metric } from "../helpers/metrics-text.js";
import { describeRedis, startRedisServer } from "../helpers/redis-server.js";

const OPERATOR_KEY = "ops-readyz-key-0123456789abcdef";
const operator = { "x-admin-key": OPERATOR_KEY };
/** One attempt per probe, so each probe's outcome is the fault's own (retries would mix in backoff and pauses). */
const env = { ADMIN_API_KEYS: `ops:${OPERATOR_KEY}`, FACE_RETRY_MAX_ATTEMPTS: "1" };

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const readyz = (headers: Record<string, string> = {}) => stack!.app.inject({ method: "GET", url: "/readyz", headers });
const scrape = async () => (await stack!.app.inject({ method: "GET", url: "/metrics" })).body;
const probes = () => stack!.emulator.state.requestCount("getLivenessSession");

describe("readiness during a Face outage", () => {
  it.each([
    ["500", { fault: "500" as const }, "LSO_ERR_UPSTREAM"],
    ["429", { fault: "429" as const, retryAfterSeconds: 1 }, "LSO_ERR_UPSTREAM_UNAVAILABLE"],
    ["503", { fault: "503" as const, retryAfterSeconds: 1 }, "LSO_ERR_UPSTREAM_UNAVAILABLE"],
    ["a reset connection", { fault: "reset" as const }, "LSO_ERR_UPSTREAM_UNAVAILABLE"],
    ["a reply slower than FACE_TIMEOUT_MS", { fault: "latency" as const, ms: 3000 }, "LSO_ERR_UPSTREAM_TIMEOUT"],
  ])("when Face answers the probe with %s, then /readyz stays 200 ready and Face shows degraded to the operator and in metrics", async (_name, rule, code) => {
    stack = await startStack({ ...env, FACE_TIMEOUT_MS: "200" });
    stack.emulator.state.faults.set([{ ...rule, operations: ["getLivenessSession"] }]);

    const pub = await readyz();
    expect(pub.statusCode).toBe(200);
    expect(pub.json()).toEqual({ status: "ready" });
    const detailed = await readyz(operator);
    expect(detailed.statusCode).toBe(200);
    expect(detailed.json().checks.face).toEqual({ status: "degraded", code });
    // The probe reached Face once, and the second /readyz used the cached answer.
    expect(probes()).toBe(1);

    const text = await scrape();
    expect(metric(text, "lso_ready")).toBe(1);
    expect(metric(text, "lso_readiness_check", { check: "face", status: "degraded" })).toBe(1);
    expect(metric(text, "lso_readiness_check", { check: "face", status: "up" })).toBeUndefined();
    expect(metric(text, "lso_face_requests_total", { operation: "probe" })).toBe(1);
  });

  it("when the breaker is open after Face failed a session read, then /readyz stays ready (degraded), costs Face nothing, and metrics show the breaker open", async () => {
    stack = await startStack({ ...env, FACE_BREAKER_FAILURES: "1" });
    const created = await createSession(stack.app, { kind: "liveness" });
    expect(created.statusCode).toBe(201);
    stack.emulator.state.faults.set([{ fault: "500", operations: ["getLivenessSession"] }]);
    const read = await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.json().id}`, headers: { "x-api-key": "acme-api-key-0123456789abcdef" } });
    expect(read.statusCode).toBe(502);
    const facedBefore = probes();

    const detailed = await readyz(operator);
    expect(detailed.statusCode).toBe(200);
    expect(detailed.json().checks.face).toEqual({ status: "degraded", code: "LSO_ERR_UPSTREAM_UNAVAILABLE" });
    expect(probes()).toBe(facedBefore);
    const text = await scrape();
    expect(metric(text, "lso_face_guard_breaker_state", { state: "open" })).toBe(1);
    expect(metric(text, "lso_face_guard_shed_total", { reason: "breakerOpen" })).toBe(1);
    expect(metric(text, "lso_face_requests_total", { operation: "getSession", outcome: "server_error" })).toBe(1);
  });
});

describe("readiness when this replica cannot work", () => {
  it("when Face refuses our key (401), then /readyz is 503, Face is down for the operator, lso_ready is 0, and /startupz says starting", async () => {
    const other = await startEmulator({ port: 0, apiKey: "a-different-face-key-000" });
    const base = loadConfig({ ADMIN_API_KEYS: `ops:${OPERATOR_KEY}` });
    const app = await buildApp({ ...base, face: { ...base.face, endpoint: other.url, apiKey: "wrong-key-0123456789" } }, { logger: createLogger("silent") });
    try {
      const ready = await app.inject({ method: "GET", url: "/readyz", headers: operator });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: "notReady", checks: { face: { status: "down", code: "LSO_ERR_UPSTREAM_AUTH" } } });
      const startup = await app.inject({ method: "GET", url: "/startupz" });
      expect(startup.statusCode).toBe(503);
      expect(startup.json()).toEqual({ status: "starting" });
      const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
      expect(metric(text, "lso_ready")).toBe(0);
      expect(metric(text, "lso_face_requests_total", { operation: "probe", outcome: "auth_failed" })).toBeGreaterThanOrEqual(1);
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await app.close();
      await other.close();
    }
  });

  it("when SIGTERM's drain has begun, then /readyz is 503 (shutdown draining), answers carry Connection: close, and /startupz stays started", async () => {
    stack = await startStack(env);
    expect((await stack.app.inject({ method: "GET", url: "/startupz" })).json()).toEqual({ status: "started" });
    stack.app.lifecycle.startDraining();

    const ready = await readyz(operator);
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "notReady", checks: { shutdown: { status: "draining" }, face: { status: "up" } } });
    expect(ready.headers.connection).toBe("close");
    const startup = await stack.app.inject({ method: "GET", url: "/startupz" });
    expect([startup.statusCode, startup.json()]).toEqual([200, { status: "started" }]);
    // Still serving while draining: the balancer needs time to notice.
    expect((await createSession(stack.app, { kind: "liveness" })).statusCode).toBe(201);
    expect(metric(await scrape(), "lso_readiness_check", { check: "shutdown", status: "draining" })).toBe(1);
  });
});

describeRedis("readiness on the Redis state", () => {
  it("when Redis stops answering, then /readyz is 503 with the state down, and the failed ping is counted", async () => {
    const redis = await startRedisServer();
    const state = await openRedisState(redis.url, { keyPrefix: redis.keyPrefix(), encryptionKeys: [randomBytes(32)], pingTimeoutMs: 500 }, systemClock);
    try {
      stack = await startStack(env, { state });
      expect((await readyz(operator)).json().checks.state).toEqual({ status: "up", backend: "redis" });

      await redis.stop();
      const ready = await readyz(operator);
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: "notReady", checks: { state: { status: "down", backend: "redis" }, face: { status: "up" } } });
      const text = await scrape();
      expect(metric(text, "lso_state_errors_total", { backend: "redis", store: "state", operation: "ping" })).toBe(1);
      expect(metric(text, "lso_readiness_check", { check: "state", status: "down" })).toBe(1);
    } finally {
      await redis.stop();
    }
  });
});
