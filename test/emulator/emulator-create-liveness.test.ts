import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { createLivenessSession, faceFetch, keyHeaders, type FaceErrorBody } from "../helpers/emulator-client.js";

const KEY = "test-key";
const valid = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };

describe("emulator: create liveness session (JSON)", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ apiKey: KEY });
  });
  afterEach(async () => {
    await emulator.close();
  });

  const expectError = async (body: unknown, status: number, code: string) => {
    const response = await createLivenessSession<FaceErrorBody>(emulator.url, KEY, body);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.headers.get("x-ms-error-code")).toBe(code);
    return response.body.error.message;
  };

  it("when the body is valid, then a NotStarted session with a fresh token and no attempts is returned", async () => {
    const response = await createLivenessSession(emulator.url, KEY, { ...valid, enableSessionImage: true });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      sessionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      authToken: expect.any(String),
      status: "NotStarted",
      modelVersion: "2024-11-15",
      results: { attempts: [] },
    });
    const second = await createLivenessSession(emulator.url, KEY, valid);
    expect(second.body.sessionId).not.toBe(response.body.sessionId);
    expect(second.body.authToken).not.toBe(response.body.authToken);
  });

  it("when the device sets its own correlation id and none is sent, then the session is created", async () => {
    const response = await createLivenessSession(emulator.url, KEY, {
      livenessOperationMode: "PassiveActive",
      deviceCorrelationIdSetInClient: true,
      livenessModelVersion: "2024-11-15",
      authTokenTimeToLiveInSeconds: 86_400,
    });
    expect(response.status).toBe(200);
  });

  it("when the JSON is unparseable, then 400 BadArgument 'JSON parsing error.'", async () => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness-sessions", {
      method: "POST",
      headers: keyHeaders(KEY, { "content-type": "application/json" }),
      body: '{"livenessOperationMode": "Passive",',
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ code: "BadArgument", message: "JSON parsing error." });
  });

  it("when the body is empty, then 400 BadArgument", async () => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness-sessions", {
      method: "POST",
      headers: keyHeaders(KEY, { "content-type": "application/json" }),
      body: "",
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("BadArgument");
  });

  it.each([
    ["an array", [valid]],
    ["a string", "Passive"],
    ["a field of the wrong type", { ...valid, enableSessionImage: "yes" }],
    ["a non-integer lifetime", { ...valid, authTokenTimeToLiveInSeconds: 60.5 }],
    ["an unknown field", { ...valid, sendResultsToClient: true }],
    ["an unknown model version", { ...valid, livenessModelVersion: "2023-03-02-preview.05" }],
  ])("when the body is %s, then 400 InvalidRequestBody", async (_label, body) => {
    await expectError(body, 400, "InvalidRequestBody");
  });

  it.each([
    ["missing", { deviceCorrelationId: "d" }],
    ["unknown", { ...valid, livenessOperationMode: "Active" }],
  ])("when livenessOperationMode is %s, then 400 InvalidLivenessOperationMode", async (_label, body) => {
    await expectError(body, 400, "InvalidLivenessOperationMode");
  });

  it.each([59, 86_401, 0, -1])("when authTokenTimeToLiveInSeconds is %i, then 400 InvalidTokenLifetime", async (ttl) => {
    const message = await expectError({ ...valid, authTokenTimeToLiveInSeconds: ttl }, 400, "InvalidTokenLifetime");
    expect(message).toContain("60 to 86400");
  });

  it.each([
    ["missing", { livenessOperationMode: "Passive" }],
    ["empty", { livenessOperationMode: "Passive", deviceCorrelationId: "" }],
    ["65 characters long", { livenessOperationMode: "Passive", deviceCorrelationId: "x".repeat(65) }],
    ["sent although the client sets it", { ...valid, deviceCorrelationIdSetInClient: true }],
  ])("when deviceCorrelationId is %s, then 400 InvalidDeviceCorrelationId", async (_label, body) => {
    await expectError(body, 400, "InvalidDeviceCorrelationId");
  });

  it("when deviceCorrelationId is exactly 64 characters, then the session is created", async () => {
    const response = await createLivenessSession(emulator.url, KEY, { ...valid, deviceCorrelationId: "x".repeat(64) });
    expect(response.status).toBe(200);
  });

  it("when the content type is not JSON, then 415 with Face's envelope", async () => {
    for (const contentType of ["text/plain", "application/xml"]) {
      const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness-sessions", {
        method: "POST",
        headers: keyHeaders(KEY, { "content-type": contentType }),
        body: JSON.stringify(valid),
      });
      expect(response.status).toBe(415);
      expect(response.body.error.code).toBe("BadArgument");
    }
  });

  it("when a multipart body is sent to the JSON operation, then 415", async () => {
    const form = new FormData();
    form.append("livenessOperationMode", "Passive");
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness-sessions", {
      method: "POST",
      headers: keyHeaders(KEY),
      body: form,
    });
    expect(response.status).toBe(415);
  });
});
