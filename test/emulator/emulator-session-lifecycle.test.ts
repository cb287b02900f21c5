import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { ManualClock } from "../../src/lib/clock.js";
import { checkImage } from "../../src/lib/image-format.js";
import {
  createLivenessSession,
  createVerifySession,
  emulatorDeviceAttempt,
  faceFetch,
  keyHeaders,
  type FaceErrorBody,
  type SessionBody,
} from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

const KEY = "test-key";
const body = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };
const image = { bytes: makeTestJpeg(), filename: "verifyImage.jpg" };
const NOT_FOUND = {
  error: { code: "SessionNotFound", message: "Session ID is not found. The session ID is expired or does not exist." },
};

describe("emulator: get, delete, expiry, session images and counters", () => {
  let emulator: RunningEmulator;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    emulator = await startEmulator({ apiKey: KEY, clock });
  });
  afterEach(async () => {
    await emulator.close();
  });

  const get = (path: string) => faceFetch<SessionBody & FaceErrorBody>(emulator.url, path, { headers: keyHeaders(KEY) });
  const del = (path: string) => faceFetch<unknown>(emulator.url, path, { method: "DELETE", headers: keyHeaders(KEY) });

  it("when a session is fetched, then it is the same session the create returned", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    const fetched = await get(`/detectLiveness-sessions/${created.body.sessionId}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it("when a session is fetched on the other kind's path, then 404 SessionNotFound", async () => {
    const liveness = await createLivenessSession(emulator.url, KEY, body);
    const verify = await createVerifySession(emulator.url, KEY, body, image);
    expect((await get(`/detectLivenessWithVerify-sessions/${liveness.body.sessionId}`)).body).toEqual(NOT_FOUND);
    expect((await get(`/detectLiveness-sessions/${verify.body.sessionId}`)).body).toEqual(NOT_FOUND);
    expect((await del(`/detectLiveness-sessions/${verify.body.sessionId}`)).status).toBe(404);
  });

  it("when an unknown id is fetched, then 404 SessionNotFound with x-ms-error-code", async () => {
    const response = await get("/detectLiveness-sessions/00000000-0000-0000-0000-000000000000");
    expect(response.status).toBe(404);
    expect(response.body).toEqual(NOT_FOUND);
    expect(response.headers.get("x-ms-error-code")).toBe("SessionNotFound");
  });

  it.each([
    ["liveness", "/detectLiveness-sessions"],
    ["livenessWithVerify", "/detectLivenessWithVerify-sessions"],
  ] as const)("when a %s session is deleted, then 204 with no body, 404 after, and its token is revoked", async (kind, path) => {
    const created =
      kind === "liveness"
        ? await createLivenessSession(emulator.url, KEY, body)
        : await createVerifySession(emulator.url, KEY, body, image);
    const deleted = await del(`${path}/${created.body.sessionId}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(deleted.headers.get("apim-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await get(`${path}/${created.body.sessionId}`)).body).toEqual(NOT_FOUND);
    expect((await del(`${path}/${created.body.sessionId}`)).status).toBe(404);
    const device = await emulatorDeviceAttempt(emulator.url, kind, created.body.authToken, { livenessDecision: "realface" });
    expect(device.status).toBe(401);
  });

  it("when the token lifetime passes, then the session reads as not found and its token stops working", async () => {
    const created = await createLivenessSession(emulator.url, KEY, { ...body, authTokenTimeToLiveInSeconds: 60 });
    clock.advance(59_999);
    expect((await get(`/detectLiveness-sessions/${created.body.sessionId}`)).status).toBe(200);
    clock.advance(1);
    expect((await get(`/detectLiveness-sessions/${created.body.sessionId}`)).body).toEqual(NOT_FOUND);
    const device = await emulatorDeviceAttempt(emulator.url, "liveness", created.body.authToken, { start: true });
    expect(device.status).toBe(401);
  });

  it("when no lifetime is given, then the session lasts the default 600 seconds", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    clock.advance(599_000);
    expect((await get(`/detectLiveness-sessions/${created.body.sessionId}`)).status).toBe(200);
    clock.advance(1_000);
    expect((await get(`/detectLiveness-sessions/${created.body.sessionId}`)).status).toBe(404);
    expect(emulator.state.sessionCount).toBe(0);
  });

  it("when a session image is fetched, then it is a valid image of at least 1 KB, gone with its session", async () => {
    const created = await createLivenessSession(emulator.url, KEY, { ...body, enableSessionImage: true });
    await emulatorDeviceAttempt(emulator.url, "liveness", created.body.authToken, { livenessDecision: "realface" });
    const session = await get(`/detectLiveness-sessions/${created.body.sessionId}`);
    const sessionImageId = session.body.results.attempts[0]?.result?.sessionImageId;
    expect(sessionImageId).toMatch(/^[A-Za-z0-9]{44}$/);

    const response = await fetch(`${emulator.url}/face/v1.2/sessionImages/${sessionImageId}`, { headers: keyHeaders(KEY) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("apim-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(checkImage(bytes)).toMatchObject({ ok: true, format: "png" });

    expect((await del(`/detectLiveness-sessions/${created.body.sessionId}`)).status).toBe(204);
    const after = await faceFetch<FaceErrorBody>(emulator.url, `/sessionImages/${sessionImageId}`, { headers: keyHeaders(KEY) });
    expect(after.status).toBe(404);
    expect(after.headers.get("x-ms-error-code")).toBe(after.body.error.code);
    expect(emulator.state.sessionImageCount).toBe(0);
  });

  it("when the session did not enable session images, then results carry no sessionImageId", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    await emulatorDeviceAttempt(emulator.url, "liveness", created.body.authToken, { livenessDecision: "realface" });
    const session = await get(`/detectLiveness-sessions/${created.body.sessionId}`);
    expect(session.body.results.attempts[0]?.result).not.toHaveProperty("sessionImageId");
    expect(emulator.state.sessionImageCount).toBe(0);
  });

  it("when an unknown session image is asked for, then 404 in Face's envelope", async () => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/sessionImages/Ae3PVWlXAmVAnXgkAFt1QSjGUWONKzWiSr2iPh9p9G4I", {
      headers: keyHeaders(KEY),
    });
    expect(response.status).toBe(404);
    expect(response.body.error).toEqual({ code: "SessionImageNotFound", message: expect.any(String) });
  });

  it("when operations are called, then each is counted under its name, failed calls included", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    await createLivenessSession(emulator.url, "wrong-key", body);
    await get(`/detectLiveness-sessions/${created.body.sessionId}`);
    await get(`/detectLiveness-sessions/${created.body.sessionId}`);
    await get("/detectLivenessWithVerify-sessions/nope");
    await emulatorDeviceAttempt(emulator.url, "liveness", created.body.authToken, { start: true });
    await del(`/detectLiveness-sessions/${created.body.sessionId}`);
    await get("/sessionImages/nope");

    expect(emulator.state.requestCounts()).toEqual({
      createLivenessSession: 2,
      createLivenessWithVerifySession: 0,
      getLivenessSession: 2,
      getLivenessWithVerifySession: 1,
      deleteLivenessSession: 1,
      deleteLivenessWithVerifySession: 0,
      getSessionImage: 1,
      deviceDetectLiveness: 1,
      deviceDetectLivenessWithVerify: 0,
    });
    expect(emulator.state.requestCount("getLivenessSession")).toBe(2);
    emulator.state.resetRequestCounts();
    expect(emulator.state.requestCount("getLivenessSession")).toBe(0);
  });
});
