import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, createSession, FACE_KEY, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt, faceFetch, keyHeaders, rawMultipart, type SessionBody } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());

/** What the emulator holds for a session, read through its state (the test's view of "Face"). */
const faceSession = (id: string, kind: "liveness" | "livenessWithVerify" = "liveness") =>
  stack.emulator.state.findSession(id, kind, Date.now());

const get = (id: string, client: "acme" | "globex" = "acme") =>
  stack.app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth(client) });

describe("POST /v1/sessions (liveness)", () => {
  it("when a liveness session is created, then 201 carries the id, token, status and times", async () => {
    const res = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "device-1", subject: "user-42", authTokenTtlSeconds: 120 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ kind: "liveness", status: "notStarted", subject: "user-42" });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof body.authToken).toBe("string");
    expect(Date.parse(body.authTokenExpiresAt) - Date.parse(body.createdAt)).toBe(120_000);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(faceSession(body.id)).toBeDefined();
  });

  it("when the subject is set, then it is kept here and never sent to Face", async () => {
    const res = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", subject: "secret-subject-ref" });
    const session = faceSession(res.json().id);
    expect(JSON.stringify(session)).not.toContain("secret-subject-ref");
    expect((await get(res.json().id)).json().subject).toBe("secret-subject-ref");
  });

  it("when deviceCorrelationId is omitted, then Face is told the device sets it", async () => {
    const res = await createSession(stack.app, { kind: "liveness" });
    expect(res.statusCode).toBe(201);
    expect(faceSession(res.json().id)?.deviceCorrelationId).toBeUndefined();
  });
});

describe("GET /v1/sessions/{id}", () => {
  it("when the device has not started, then the session is notStarted with no attempts and no token", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    const res = await get(created.id);
    expect(res.statusCode).toBe(200);
    const view = res.json();
    expect(view).toMatchObject({ id: created.id, status: "notStarted", attempts: [], latestAttempt: null, livenessDecision: null, digest: null });
    expect(res.body).not.toContain(created.authToken);
    expect(view).not.toHaveProperty("authToken");
  });

  it("when the device starts and then succeeds, then running turns into succeeded with the decision and digest", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { start: true });
    expect((await get(created.id)).json().status).toBe("running");
    const device = await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "realface" });
    const view = (await get(created.id)).json();
    expect(view.status).toBe("succeeded");
    expect(view.livenessDecision).toBe("realface");
    expect(view.digest).toBe(device.body.digest);
    expect(view.latestAttempt).toMatchObject({ attemptId: 1, status: "succeeded", livenessDecision: "realface" });
  });

  it("when attempts failed before one succeeded, then latestAttempt is the highest attemptId and errors are listed", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { errorCode: "FaceWithMaskDetected" });
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { errorCode: "TimedOut" });
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "spoofface" });
    const view = (await get(created.id)).json();
    expect(view.attempts.map((a: { attemptId: number }) => a.attemptId)).toEqual([3, 2, 1]);
    expect(view.latestAttempt).toMatchObject({ attemptId: 3, livenessDecision: "spoofface" });
    expect(view.attempts[2]).toMatchObject({ status: "failed", error: { code: "FaceWithMaskDetected" } });
    expect(view.livenessDecision).toBe("spoofface");
  });
});

describe("livenessWithVerify", () => {
  const image = makeTestJpeg({ minBytes: 4096 });

  it("when created with a base64 JSON image, then the device outcome carries the verify result", async () => {
    const res = await createSession(stack.app, {
      kind: "livenessWithVerify",
      deviceCorrelationId: "d",
      verifyImage: image.toString("base64"),
      verifyConfidenceThreshold: 0.7,
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(faceSession(created.id, "livenessWithVerify")).toBeDefined();
    await emulatorDeviceAttempt(stack.emulator.url, "livenessWithVerify", created.authToken, { livenessDecision: "realface", matchConfidence: 0.65 });
    const view = (await get(created.id)).json();
    expect(view.kind).toBe("livenessWithVerify");
    // Raw scores are shown only to clients whose policy sets decision.exposeScores (session-decision.test.ts).
    expect(view.verifyResult).toEqual({ isIdentical: false });
    expect(view.decision).toMatchObject({ outcome: "declined", reasons: [{ code: "REAL_FACE" }, { code: "VERIFY_NO_MATCH" }] });
  });

  it("when created with a multipart file part, then Face receives exactly those bytes", async () => {
    const form = rawMultipart([
      { name: "kind", value: "livenessWithVerify" },
      { name: "deviceCorrelationId", value: "device-9" },
      { name: "enableSessionImage", value: "true" },
      { name: "authTokenTtlSeconds", value: "300" },
      { name: "verifyImage", value: image, filename: "me.jpg", contentType: "image/jpeg" },
    ]);
    const res = await stack.app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { ...auth(), "content-type": form.contentType },
      payload: form.body,
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(Date.parse(created.authTokenExpiresAt) - Date.parse(created.createdAt)).toBe(300_000);
    const session = faceSession(created.id, "livenessWithVerify");
    expect(session?.verify?.imageHash).toBe(createHash("sha256").update(image).digest("hex").toUpperCase());
    expect(session?.enableSessionImage).toBe(true);
  });
});

describe("DELETE /v1/sessions/{id}", () => {
  it("when deleted, then 204, Face forgets it and a later GET or DELETE answers 404", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    const res = await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${created.id}`, headers: auth() });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");
    expect(faceSession(created.id)).toBeUndefined();
    const after = await get(created.id);
    expect(after.statusCode).toBe(404);
    expect(after.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
    const again = await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${created.id}`, headers: auth() });
    expect(again.statusCode).toBe(404);
  });

  it("when Face already forgot the session, then delete still succeeds here", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    stack.emulator.state.deleteSession(created.id);
    const res = await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${created.id}`, headers: auth() });
    expect(res.statusCode).toBe(204);
    expect((await get(created.id)).statusCode).toBe(404);
  });
});

describe("GET /v1/sessions/{id}/image", () => {
  it("when the session enabled images and an attempt produced one, then the bytes come back with their type", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "realface" });
    const res = await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}/image`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/png");
    const atFace = await faceFetch<SessionBody>(stack.emulator.url, `/detectLiveness-sessions/${created.id}`, { headers: keyHeaders(FACE_KEY) });
    const imageId = atFace.body.results.attempts[0]!.result!.sessionImageId!;
    const original = await fetch(`${stack.emulator.url}/face/v1.2/sessionImages/${imageId}`, { headers: keyHeaders(FACE_KEY) });
    expect(res.rawPayload.equals(Buffer.from(await original.arrayBuffer()))).toBe(true);
    expect((await get(created.id)).json().hasSessionImage).toBe(true);
  });

  it("when the session did not enable images, then 404 with its own code", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "realface" });
    const res = await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}/image`, headers: auth() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
  });

  it("when no attempt has happened yet, then 404", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    const res = await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}/image`, headers: auth() });
    expect(res.json().error.code).toBe("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
  });
});
