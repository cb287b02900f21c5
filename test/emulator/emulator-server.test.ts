import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import { buildEmulator, emulatorStateOf } from "../../src/emulator/emulator-app.js";
import { EmulatorConfigError, loadEmulatorConfig } from "../../src/emulator/emulator-config.js";
import { EmulatorState } from "../../src/emulator/emulator-state.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const entry = fileURLToPath(new URL("../../src/emulator/emulator-server.ts", import.meta.url));

describe("emulator config", () => {
  it("when nothing is set, then port 5001, no key and level info", () => {
    expect(loadEmulatorConfig({})).toEqual({ FACE_EMULATOR_PORT: 5001, LOG_LEVEL: "info" });
  });

  it("when values are set, then they are parsed, and empty strings mean unset", () => {
    expect(loadEmulatorConfig({ FACE_EMULATOR_PORT: "0", FACE_APIKEY: "k", LOG_LEVEL: "" })).toEqual({
      FACE_EMULATOR_PORT: 0,
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
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    child = undefined;
  });

  const run = (env: Record<string, string>) => {
    const started = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    return started;
  };

  it("when started, then it logs its URL, answers, and exits 0 on SIGTERM", async () => {
    const emulator = run({ FACE_EMULATOR_PORT: "0", FACE_APIKEY: "secret-key", LOG_LEVEL: "info" });
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      emulator.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      emulator.once("exit", (code) => reject(new Error(`exited early with ${code}: ${output}`)));
    });
    const response = await fetch(`${url}/face/v1.2/detectLiveness-sessions/x`, {
      headers: { "Ocp-Apim-Subscription-Key": "secret-key" },
    });
    expect(response.status).toBe(404);
    const exited = once(emulator, "exit");
    emulator.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    // The key never reaches the log.
    expect(output).not.toContain("secret-key");
  });

  it("when the configuration is bad, then it exits non-zero naming the variable", async () => {
    const emulator = run({ FACE_EMULATOR_PORT: "not-a-port" });
    let stderr = "";
    emulator.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(emulator, "exit")) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toContain("FACE_EMULATOR_PORT");
  });
});
