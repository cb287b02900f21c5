import { afterEach, describe, expect, it } from "vitest";

import { buildEmulator, emulatorStateOf } from "../../src/emulator/emulator-app.js";
import { EmulatorConfigError, loadEmulatorConfig } from "../../src/emulator/emulator-config.js";
import { EmulatorState } from "../../src/emulator/emulator-state.js";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";

describe("emulator config", () => {
  it("when nothing is set, then 127.0.0.1:5001, no key and level info", () => {
    expect(loadEmulatorConfig({})).toEqual({ FACE_EMULATOR_PORT: 5001, FACE_EMULATOR_HOST: "127.0.0.1", LOG_LEVEL: "info" });
  });

  it("when values are set, then they are parsed, and empty strings mean unset", () => {
    expect(loadEmulatorConfig({ FACE_EMULATOR_PORT: "0", FACE_EMULATOR_HOST: "0.0.0.0", FACE_APIKEY: "k", LOG_LEVEL: "" })).toEqual({
      FACE_EMULATOR_PORT: 0,
      FACE_EMULATOR_HOST: "0.0.0.0",
      FACE_APIKEY: "k",
      LOG_LEVEL: "info",
    });
  });

  it.each([
    ["FACE_EMULATOR_PORT", { FACE_EMULATOR_PORT: "http" }],
    ["FACE_EMULATOR_PORT", { FACE_EMULATOR_PORT: "70000" }],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }],
  ])("when %s is bad, then the error names it", (variable, env) => {
    expect(() => loadEmulatorConfig(env)).toThrow(EmulatorConfigError);
    expect(() => loadEmulatorConfig(env)).toThrow(variable);
  });
});

describe("buildEmulator", () => {
  it("when built without listening, then inject works and the state is reachable", async () => {
    const state = new EmulatorState();
    const app = await buildEmulator({ state });
    try {
      const response = await app.inject({ method: "GET", url: "/face/v1.2/detectLiveness-sessions/x" });
      expect(response.statusCode).toBe(401);
      expect(emulatorStateOf(app)).toBe(state);
      expect(state.requestCount("getLivenessSession")).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe("standalone emulator process", () => {
  let running: RunningProcess | undefined;
  afterEach(async () => {
    await running?.stop("SIGKILL");
    running = undefined;
  });

  it("when started, then it logs its URL, answers, and exits 0 on SIGTERM", async () => {
    running = startNodeProcess("src/emulator/emulator-server.ts", { FACE_EMULATOR_PORT: "0", FACE_APIKEY: "secret-key", LOG_LEVEL: "info" });
    const [, url] = await running.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    const response = await fetch(`${url}/face/v1.2/detectLiveness-sessions/x`, {
      headers: { "Ocp-Apim-Subscription-Key": "secret-key" },
    });
    expect(response.status).toBe(404);
    expect(await running.stop("SIGTERM")).toBe(0);
    // The key never reaches the log.
    expect(running.output()).not.toContain("secret-key");
  });

  it("when FACE_EMULATOR_HOST is 0.0.0.0, then it binds every interface and answers on loopback too", async () => {
    running = startNodeProcess("src/emulator/emulator-server.ts", { FACE_EMULATOR_PORT: "0", FACE_EMULATOR_HOST: "0.0.0.0", FACE_APIKEY: "secret-key" });
    const [, port] = await running.waitFor(/"url":"http:\/\/0\.0\.0\.0:(\d+)"/);
    const response = await fetch(`http://127.0.0.1:${port}/face/v1.2/detectLiveness-sessions/x`, {
      headers: { "Ocp-Apim-Subscription-Key": "secret-key" },
    });
    expect(response.status).toBe(404);
  });

  it("when the configuration is bad, then it exits non-zero naming the variable", async () => {
    running = startNodeProcess("src/emulator/emulator-server.ts", { FACE_EMULATOR_PORT: "not-a-port" });
    expect(await running.exited).not.toBe(0);
    expect(running.output()).toContain("FACE_EMULATOR_PORT");
  });
});
