import { afterEach, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";
import {
  createLivenessSession,
  emulatorDeviceAttempt,
  faceFetch,
  keyHeaders,
  type FaceErrorBody,
} from "../helpers/emulator-client.js";

const KEY = "emulator-fault-test-key";
const createBody = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };

let emulator: RunningEmulator;
afterEach(async () => {
  await emulator?.close();
});

const getSession = (id = "00000000-0000-0000-0000-000000000001") =>
  faceFetch<FaceErrorBody>(emulator.url, `/detectLiveness-sessions/${id}`, { headers: keyHeaders(KEY) });

const admin = (method: string, body?: unknown, key = KEY) =>
  fetch(`${emulator.url}/emulator/faults`, {
    method,
    headers: { ...keyHeaders(key), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("emulator faults over HTTP", () => {
  const only = { count: 1, operations: ["getLivenessSession" as const] };
  it.each([
    [{ fault: "429" as const, retryAfterSeconds: 3, ...only }, 429, "429", "3"],
    [{ fault: "503" as const, retryAfterSeconds: 3, ...only }, 503, "ServiceUnavailable", "3"],
    [{ fault: "500" as const, ...only }, 500, "InternalServerError", null],
  ])("when %j fires, then Face's envelope, error code, request id and Retry-After come back", async (rule, status, code, retryAfter) => {
    emulator = await startEmulator({ apiKey: KEY, faults: [rule] });
    const faulted = await getSession();
    expect(faulted.status).toBe(status);
    expect(faulted.body.error).toMatchObject({ code, message: expect.stringContaining("injected fault") });
    expect(faulted.headers.get("x-ms-error-code")).toBe(code);
    expect(faulted.headers.get("apim-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(faulted.headers.get("retry-after")).toBe(retryAfter);
    // The fault was used up: the next request gets Face's normal answer, and both were counted.
    expect((await getSession()).status).toBe(404);
    expect(emulator.state.requestCount("getLivenessSession")).toBe(2);
  });

  it("when a reset fires before a create, then the connection dies, the request is counted and no session exists", async () => {
    emulator = await startEmulator({ apiKey: KEY, faults: [{ fault: "reset", count: 1 }] });
    await expect(createLivenessSession(emulator.url, KEY, createBody)).rejects.toThrow(TypeError);
    expect(emulator.state.requestCount("createLivenessSession")).toBe(1);
    expect(emulator.state.sessionCount).toBe(0);
  });

  it("when a fault fires after a create, then the session exists although the caller got a 500 or a reset", async () => {
    emulator = await startEmulator({ apiKey: KEY, faults: [{ fault: "500", count: 1, phase: "after" }] });
    const answered = await createLivenessSession<FaceErrorBody>(emulator.url, KEY, createBody);
    expect(answered.status).toBe(500);
    expect(answered.headers.get("content-type")).toContain("application/json");
    expect(emulator.state.sessionCount).toBe(1);

    emulator.state.faults.set([{ fault: "reset", count: 1, phase: "after" }]);
    await expect(createLivenessSession(emulator.url, KEY, createBody)).rejects.toThrow(TypeError);
    expect(emulator.state.sessionCount).toBe(2);
  });

  it("when latency exceeds the client's patience, then the client times out and the emulator closes cleanly", async () => {
    emulator = await startEmulator({ apiKey: KEY, faults: [{ fault: "latency", ms: 30_000, count: 1 }] });
    await expect(
      faceFetch(emulator.url, "/detectLiveness-sessions/x", { headers: keyHeaders(KEY), signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow(/abort|timeout/i);
    expect(emulator.state.faults.describe().injected.latency).toBe(1);
  });

  it("when device operations are targeted, then the device call fails and management calls do not", async () => {
    emulator = await startEmulator({ apiKey: KEY });
    const session = await createLivenessSession(emulator.url, KEY, createBody);
    emulator.state.faults.set({ rules: [{ fault: "503", operations: "device" }] });
    const device = await emulatorDeviceAttempt<FaceErrorBody>(emulator.url, "liveness", session.body.authToken, { livenessDecision: "realface" });
    expect(device.status).toBe(503);
    expect((await getSession(session.body.sessionId)).status).toBe(200);
  });
});

describe("emulator fault admin routes", () => {
  it("when called without the subscription key, then 401 and nothing changes", async () => {
    emulator = await startEmulator({ apiKey: KEY });
    expect((await admin("PUT", [{ fault: "500" }], "wrong-key")).status).toBe(401);
    expect(emulator.state.faults.active).toBe(false);
  });

  it("when a plan is PUT, then it applies at once; GET shows it with counts; DELETE ends it", async () => {
    emulator = await startEmulator({ apiKey: KEY });
    const put = await admin("PUT", { seed: 9, rules: [{ fault: "503", operations: ["getLivenessSession"] }] });
    expect(put.status).toBe(200);
    expect((await getSession()).status).toBe(503);

    const described = (await (await admin("GET")).json()) as { seed: number; rules: Array<{ injected: number }> };
    expect(described).toMatchObject({ seed: 9, rules: [{ fault: "503", injected: 1 }] });

    expect((await admin("DELETE")).status).toBe(204);
    expect((await getSession()).status).toBe(404);
    // Admin calls are neither counted nor faulted.
    expect(emulator.state.requestCount("getLivenessSession")).toBe(2);
  });

  it("when the plan is invalid, then 400 BadArgument names the wrong field and the old plan stays", async () => {
    emulator = await startEmulator({ apiKey: KEY, faults: [{ fault: "500", operations: ["getLivenessSession"] }] });
    const response = await admin("PUT", [{ fault: "latency" }]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as FaceErrorBody).error).toMatchObject({ code: "BadArgument", message: expect.stringContaining("rules.0.ms") });
    expect((await getSession()).status).toBe(500);
  });
});

describe("standalone emulator with FACE_EMULATOR_FAULTS", () => {
  let running: RunningProcess | undefined;
  afterEach(async () => {
    await running?.stop("SIGKILL");
    running = undefined;
  });

  it("when started with a fault plan, then it warns about it and injects the faults", async () => {
    running = startNodeProcess("src/emulator/emulator-server.ts", {
      FACE_EMULATOR_PORT: "0",
      FACE_APIKEY: KEY,
      FACE_EMULATOR_FAULTS: '[{"fault":"503","retryAfterSeconds":4}]',
    });
    const [, url] = await running.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    await running.waitFor(/injecting faults/);
    const response = await fetch(`${url}/face/v1.2/detectLiveness-sessions/x`, { headers: keyHeaders(KEY) });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("4");
    expect(await running.stop("SIGTERM")).toBe(0);
  });
});
