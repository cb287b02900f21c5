import { createHash } from "node:crypto";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import {
  createLivenessSession,
  createVerifySession,
  emulatorDeviceAttempt,
  faceFetch,
  keyHeaders,
  type FaceErrorBody,
} from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

const KEY = "test-key";
const body = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };
const jpeg = makeTestJpeg();
const image = { bytes: jpeg, filename: "verifyImage.jpg" };
const DIGEST = /^[0-9A-F]{64}$/;

describe("emulator: device attempts and the session state machine", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ apiKey: KEY });
  });
  afterEach(async () => {
    await emulator.close();
  });

  const liveness = (path: string) => faceFetch(emulator.url, `/detectLiveness-sessions/${path}`, { headers: keyHeaders(KEY) });
  const verify = (path: string) =>
    faceFetch(emulator.url, `/detectLivenessWithVerify-sessions/${path}`, { headers: keyHeaders(KEY) });

  it("when the device starts then succeeds, then the session goes NotStarted → Running → Succeeded", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    const { sessionId, authToken } = created.body;
    expect((await liveness(sessionId)).body).toMatchObject({ status: "NotStarted", results: { attempts: [] } });

    const started = await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { start: true });
    expect(started.body).toEqual({ status: "Running" });
    expect((await liveness(sessionId)).body).toMatchObject({ status: "Running", results: { attempts: [] } });

    const attempt = await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { livenessDecision: "realface" });
    expect(attempt.status).toBe(200);
    expect(attempt.body).toEqual({ attemptId: 1, digest: expect.stringMatching(DIGEST) });

    const session = await liveness(sessionId);
    expect(session.body.status).toBe("Succeeded");
    expect(session.body.results.attempts).toEqual([
      {
        attemptId: 1,
        attemptStatus: "Succeeded",
        result: {
          livenessDecision: "realface",
          targets: { color: { faceRectangle: { top: 256, left: 180, width: 360, height: 768 } } },
          digest: attempt.body.digest,
        },
      },
    ]);
  });

  it("when attempts fail and one succeeds, then attempts count up from 1 and are listed newest first", async () => {
    const { sessionId, authToken } = (await createLivenessSession(emulator.url, KEY, body)).body;
    const first = await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { errorCode: "FaceWithMaskDetected" });
    expect(first.body).toEqual({ attemptId: 1 });
    expect((await liveness(sessionId)).body.status).toBe("Running");
    const second = await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { livenessDecision: "spoofface" });
    expect(second.body).toEqual({ attemptId: 2, digest: expect.stringMatching(DIGEST) });

    const session = (await liveness(sessionId)).body;
    expect(session.status).toBe("Succeeded");
    expect(session.results.attempts.map((a) => [a.attemptId, a.attemptStatus])).toEqual([
      [2, "Succeeded"],
      [1, "Failed"],
    ]);
    expect(session.results.attempts[0]?.result?.livenessDecision).toBe("spoofface");
    expect(session.results.attempts[1]).toEqual({
      attemptId: 1,
      attemptStatus: "Failed",
      error: {
        code: "FaceWithMaskDetected",
        message: "Mask detected on face image.",
        targets: { color: { faceRectangle: expect.objectContaining({ width: expect.any(Number) }) } },
      },
    });
  });

  it("when three attempts fail, then the session is Failed and further calls get 409", async () => {
    const { sessionId, authToken } = (await createLivenessSession(emulator.url, KEY, body)).body;
    for (const errorCode of ["FaceEyeRegionNotVisible", "SomethingNew", "TimedOut"]) {
      expect((await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { errorCode })).status).toBe(200);
    }
    const session = (await liveness(sessionId)).body;
    expect(session.status).toBe("Failed");
    expect(session.results.attempts.map((a) => a.attemptId)).toEqual([3, 2, 1]);
    expect(session.results.attempts[1]?.error?.message).toContain("SomethingNew");

    const late = await emulatorDeviceAttempt<FaceErrorBody>(emulator.url, "liveness", authToken, { livenessDecision: "realface" });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("EmulatorSessionCompleted");
    expect(late.headers.get("x-ms-error-code")).toBe("EmulatorSessionCompleted");
  });

  it("when the session already succeeded, then another attempt or start gets 409 and changes nothing", async () => {
    const { sessionId, authToken } = (await createLivenessSession(emulator.url, KEY, body)).body;
    await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { livenessDecision: "uncertain" });
    for (const again of [{ livenessDecision: "realface" }, { start: true }]) {
      expect((await emulatorDeviceAttempt(emulator.url, "liveness", authToken, again)).status).toBe(409);
    }
    const session = (await liveness(sessionId)).body;
    expect(session.results.attempts).toHaveLength(1);
    expect(session.results.attempts[0]?.result?.livenessDecision).toBe("uncertain");
  });

  it("when two sessions get the same decision, then their digests differ", async () => {
    const digests = new Set<string | undefined>();
    for (let i = 0; i < 2; i++) {
      const { authToken } = (await createLivenessSession(emulator.url, KEY, body)).body;
      digests.add((await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { livenessDecision: "realface" })).body.digest);
    }
    expect(digests.size).toBe(2);
  });

  it.each([
    ["no decision and no error", {}],
    ["an unknown decision", { livenessDecision: "RealFace" }],
    ["a confidence above 1", { livenessDecision: "realface", matchConfidence: 1.2 }],
    ["an unknown field", { livenessDecision: "realface", extra: 1 }],
    ["start: false", { start: false }],
    ["not an object", "realface"],
  ])("when the device body has %s, then 400 InvalidRequestBody", async (_label, attempt) => {
    const { authToken } = (await createLivenessSession(emulator.url, KEY, body)).body;
    const response = await emulatorDeviceAttempt<FaceErrorBody>(emulator.url, "liveness", authToken, attempt);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("InvalidRequestBody");
  });

  it("when a verify session succeeds with a confidence given, then verifyResult uses it against the threshold", async () => {
    const created = await createVerifySession(emulator.url, KEY, { ...body, verifyConfidenceThreshold: 0.7 }, image);
    const { sessionId, authToken } = created.body;
    await emulatorDeviceAttempt(emulator.url, "livenessWithVerify", authToken, { livenessDecision: "realface", matchConfidence: 0.71 });
    const result = (await verify(sessionId)).body.results.attempts[0]?.result;
    expect(result?.verifyResult).toEqual({ matchConfidence: 0.71, isIdentical: true });
    // Not asked for at create: no hash.
    expect(result).not.toHaveProperty("verifyImageHash");
  });

  it.each([
    ["realface", 0.92, true],
    ["spoofface", 0.1, false],
    ["uncertain", 0.1, false],
  ] as const)("when a verify session ends %s with defaults, then matchConfidence is %d and isIdentical %s", async (decision, confidence, identical) => {
    const { sessionId, authToken } = (await createVerifySession(emulator.url, KEY, body, image)).body;
    await emulatorDeviceAttempt(emulator.url, "livenessWithVerify", authToken, { livenessDecision: decision });
    const result = (await verify(sessionId)).body.results.attempts[0]?.result;
    expect(result?.verifyResult).toEqual({ matchConfidence: confidence, isIdentical: identical });
  });

  it("when returnVerifyImageHash was set, then each result carries the verify image's uppercase sha256", async () => {
    const created = await createVerifySession(emulator.url, KEY, { ...body, returnVerifyImageHash: true }, image);
    await emulatorDeviceAttempt(emulator.url, "livenessWithVerify", created.body.authToken, { livenessDecision: "realface" });
    const result = (await verify(created.body.sessionId)).body.results.attempts[0]?.result;
    expect(result?.verifyImageHash).toBe(createHash("sha256").update(jpeg).digest("hex").toUpperCase());
  });

  it("when a liveness-only session succeeds, then its result has no verify fields even if a confidence was sent", async () => {
    const { sessionId, authToken } = (await createLivenessSession(emulator.url, KEY, body)).body;
    await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { livenessDecision: "realface", matchConfidence: 0.5 });
    const result = (await liveness(sessionId)).body.results.attempts[0]?.result;
    expect(result).not.toHaveProperty("verifyResult");
    expect(result).not.toHaveProperty("verifyImageHash");
  });
});
