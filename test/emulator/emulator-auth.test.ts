import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import {
  createLivenessSession,
  emulatorDeviceAttempt,
  faceFetch,
  keyHeaders,
  type FaceErrorBody,
} from "../helpers/emulator-client.js";

const KEY = "the-only-key";
const body = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCESS_DENIED =
  "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";

describe("emulator: authentication and response headers", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ apiKey: KEY });
  });
  afterEach(async () => {
    await emulator.close();
  });

  it.each([
    ["missing", {}],
    ["wrong", { "Ocp-Apim-Subscription-Key": "not-the-key" }],
    ["empty", { "Ocp-Apim-Subscription-Key": "" }],
  ])("when the subscription key is %s, then 401 with code '401' and Face's message", async (_label, headers) => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness-sessions", {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: "401", message: ACCESS_DENIED } });
    expect(response.headers.get("x-ms-error-code")).toBe("401");
  });

  it("when the key is wrong and the body is malformed too, then the key is reported first", async () => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness-sessions", {
      method: "POST",
      headers: keyHeaders("wrong", { "content-type": "application/json" }),
      body: "{not json",
    });
    expect(response.status).toBe(401);
  });

  it("when every management operation is called without a key, then each answers 401", async () => {
    const calls: Array<[string, string]> = [
      ["GET", "/detectLiveness-sessions/x"],
      ["DELETE", "/detectLiveness-sessions/x"],
      ["GET", "/detectLivenessWithVerify-sessions/x"],
      ["DELETE", "/detectLivenessWithVerify-sessions/x"],
      ["POST", "/detectLivenessWithVerify-sessions"],
      ["GET", "/sessionImages/x"],
    ];
    for (const [method, path] of calls) {
      const response = await faceFetch<FaceErrorBody>(emulator.url, path, { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
    }
  });

  it("when no apiKey is configured, then any non-empty key is accepted and an empty one is not", async () => {
    const open = await startEmulator({});
    try {
      expect((await createLivenessSession(open.url, "anything", body)).status).toBe(200);
      expect((await createLivenessSession(open.url, "", body)).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it("when a device call has no, an unknown or a malformed bearer token, then 401", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    for (const authorization of [undefined, "Bearer unknown-token", `Basic ${created.body.authToken}`, KEY]) {
      const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness/singleModal", {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ livenessDecision: "realface" }),
      });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("401");
      expect(response.headers.get("x-ms-error-code")).toBe("401");
    }
  });

  it("when a session's token is used on the other kind's device endpoint, then 401", async () => {
    const created = await createLivenessSession(emulator.url, KEY, body);
    const response = await emulatorDeviceAttempt(emulator.url, "livenessWithVerify", created.body.authToken, {
      livenessDecision: "realface",
    });
    expect(response.status).toBe(401);
  });

  it("when the subscription key is sent to a device endpoint, then it does not open it", async () => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLiveness/singleModal", {
      method: "POST",
      headers: keyHeaders(KEY, { "content-type": "application/json" }),
      body: JSON.stringify({ livenessDecision: "realface" }),
    });
    expect(response.status).toBe(401);
  });

  it("when any response is sent, then it carries a fresh apim-request-id", async () => {
    const ok = await createLivenessSession(emulator.url, KEY, body);
    const denied = await createLivenessSession(emulator.url, "wrong", body);
    const missing = await fetch(`${emulator.url}/nowhere`);
    const ids = [ok.headers, denied.headers, missing.headers].map((headers) => headers.get("apim-request-id"));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(3);
  });

  it("when a route is unknown, then 404 in Face's envelope with x-ms-error-code", async () => {
    for (const [method, path] of [
      ["GET", "/face/v1.2/detectLiveness/singleModal/sessions"],
      ["PUT", "/face/v1.2/detectLiveness-sessions"],
      ["GET", "/face/v1.1-preview.1/detectLiveness-sessions/x"],
      ["GET", "/"],
    ] as const) {
      const response = await fetch(`${emulator.url}${path}`, { method, headers: keyHeaders(KEY) });
      expect(response.status).toBe(404);
      expect(response.headers.get("x-ms-error-code")).toBe("404");
      expect(await response.json()).toEqual({ error: { code: "404", message: "Resource not found" } });
    }
  });

  it("when the URL is malformed, then a 400 envelope rather than a crash", async () => {
    const response = await fetch(`${emulator.url}/face/v1.2/detectLiveness-sessions/%E0%A4%A`, { headers: keyHeaders(KEY) });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("apim-request-id")).toMatch(UUID);
    expect(((await response.json()) as FaceErrorBody).error.code).toEqual(expect.any(String));
  });

  it("when the endpoint had a trailing slash (//face/v1.2), then the call still works", async () => {
    const response = await fetch(`${emulator.url}//face/v1.2/detectLiveness-sessions`, {
      method: "POST",
      headers: keyHeaders(KEY, { "content-type": "application/json" }),
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const { sessionId } = (await response.json()) as { sessionId: string };
    const fetched = await fetch(`${emulator.url}//face/v1.2/detectLiveness-sessions/${sessionId}`, { headers: keyHeaders(KEY) });
    expect(fetched.status).toBe(200);
  });
});
