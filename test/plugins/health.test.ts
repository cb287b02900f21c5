import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/emulator-server.js";
import { ManualClock } from "../../src/lib/clock.js";
import { StateUnavailableError } from "../../src/state/state-errors.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { createLogger } from "../../src/logger.js";
import { startStack, type TestStack } from "../helpers/app-harness.js";

const OPERATOR_KEY = "ops-readyz-key-0123456789abcdef";
const operator = { "x-admin-key": OPERATOR_KEY };

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const withOperator = () => startStack({ ADMIN_API_KEYS: `ops:${OPERATOR_KEY}` });

describe("health and readiness", () => {
  it("when Face (the emulator) answers with our key, then /readyz is ready and /healthz ok", async () => {
    stack = await withOperator();
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    const ready = await stack.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
  });

  it("when an operator asks with its admin key, then /readyz adds the checks: shutdown, state, Face, and where the credentials come from", async () => {
    stack = await withOperator();
    const ready = await stack.app.inject({ method: "GET", url: "/readyz", headers: operator });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: "ready",
      checks: {
        shutdown: { status: "running" },
        state: { status: "up", backend: "memory" },
        face: { status: "up" },
        credentials: { status: "up", source: "environment", faceAuth: "key" },
      },
    });
    expect(ready.headers["cache-control"]).toBe("no-store");
  });

  it("when the caller is not an operator, then /readyz says ready or not and nothing about how the service is set up", async () => {
    stack = await withOperator();
    for (const headers of [{}, { "x-api-key": "acme-api-key-0123456789abcdef" }]) {
      const ready = await stack.app.inject({ method: "GET", url: "/readyz", headers });
      expect(ready.json()).toEqual({ status: "ready" });
      expect(ready.body).not.toMatch(/environment|keyVault|entraId|faceAuth|credentials/);
    }
  });

  it("when a wrong admin key is sent, then 401 LSO_ERR_UNAUTHORIZED in the envelope", async () => {
    stack = await withOperator();
    const res = await stack.app.inject({ method: "GET", url: "/readyz", headers: { "x-admin-key": `${OPERATOR_KEY}x` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_UNAUTHORIZED", requestId: res.headers["x-request-id"] });
  });

  it("when readiness is probed repeatedly, then Face is asked once per cache interval", async () => {
    stack = await startStack();
    await Promise.all(Array.from({ length: 10 }, () => stack!.app.inject({ method: "GET", url: "/readyz" })));
    expect(stack.emulator.state.requestCount("getLivenessSession")).toBe(1);
  });

  it("when Face is unreachable, then /readyz stays ready and the operator sees Face degraded; /healthz stays 200", async () => {
    stack = await withOperator();
    await stack.emulator.close();
    const ready = await stack.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
    const detailed = await stack.app.inject({ method: "GET", url: "/readyz", headers: operator });
    expect(detailed.json()).toMatchObject({ status: "ready", checks: { face: { status: "degraded", code: "LSO_ERR_UPSTREAM_UNAVAILABLE" } } });
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("when the state does not answer its ping, then /readyz is 503 naming it while /healthz stays 200", async () => {
    const state = createMemoryState(new ManualClock());
    stack = await startStack(
      { ADMIN_API_KEYS: `ops:${OPERATOR_KEY}` },
      { state: { ...state, ping: async () => Promise.reject(new StateUnavailableError("redis", "Command timed out")) } },
    );
    expect((await stack.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "notReady" });
    const ready = await stack.app.inject({ method: "GET", url: "/readyz", headers: operator });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "notReady", checks: { face: { status: "up" }, state: { status: "down", backend: "memory" } } });
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("when Face refuses our key, then /readyz is 503, and the operator sees the auth failure", async () => {
    const other = await startEmulator({ port: 0, apiKey: "a-different-face-key-000" });
    const base = loadConfig({ ADMIN_API_KEYS: `ops:${OPERATOR_KEY}` });
    const app = await buildApp({ ...base, face: { ...base.face, endpoint: other.url, apiKey: "wrong-key-0123456789" } }, { logger: createLogger("silent") });
    try {
      const ready = await app.inject({ method: "GET", url: "/readyz", headers: operator });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.face).toEqual({ status: "down", code: "LSO_ERR_UPSTREAM_AUTH" });
    } finally {
      await app.close();
      await other.close();
    }
  });
});
