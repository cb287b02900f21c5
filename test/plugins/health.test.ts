import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/emulator-server.js";
import { ManualClock } from "../../src/lib/clock.js";
import { StateUnavailableError } from "../../src/state/state-errors.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { createLogger } from "../../src/logger.js";
import { startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("health and readiness", () => {
  it("when Face (the emulator) answers with our key, then /readyz is ready and /healthz ok", async () => {
    stack = await startStack();
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    const ready = await stack.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: "ready",
      checks: {
        face: { status: "up" },
        credentials: { status: "up", source: "environment", faceAuth: "key" },
        state: { status: "up", backend: "memory" },
      },
    });
  });

  it("when readiness is probed repeatedly, then Face is asked once per cache interval", async () => {
    stack = await startStack();
    await Promise.all(Array.from({ length: 10 }, () => stack!.app.inject({ method: "GET", url: "/readyz" })));
    expect(stack.emulator.state.requestCount("getLivenessSession")).toBe(1);
  });

  it("when Face is unreachable, then /readyz is 503 while /healthz stays 200", async () => {
    stack = await startStack();
    await stack.emulator.close();
    const ready = await stack.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "notReady", checks: { face: { status: "down", code: "LSO_ERR_UPSTREAM_UNAVAILABLE" } } });
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("when the state does not answer its ping, then /readyz is 503 naming it while /healthz stays 200", async () => {
    const state = createMemoryState(new ManualClock());
    stack = await startStack({}, { state: { ...state, ping: async () => Promise.reject(new StateUnavailableError("redis", "Command timed out")) } });
    const ready = await stack.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "notReady", checks: { face: { status: "up" }, state: { status: "down", backend: "memory" } } });
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("when Face refuses our key, then /readyz is 503 naming the auth failure", async () => {
    const other = await startEmulator({ port: 0, apiKey: "a-different-face-key-000" });
    const base = loadConfig({});
    const app = await buildApp({ ...base, face: { ...base.face, endpoint: other.url, apiKey: "wrong-key-0123456789" } }, { logger: createLogger("silent") });
    try {
      const ready = await app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.face).toEqual({ status: "down", code: "LSO_ERR_UPSTREAM_AUTH" });
    } finally {
      await app.close();
      await other.close();
    }
  });
});
