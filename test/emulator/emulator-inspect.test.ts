/**
 * GET /emulator/requests and /emulator/sessions: what the emulator saw, for tests that run it as its own process
 * and count Face calls over HTTP. Behind the subscription key, never counted themselves, never showing a token.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createLivenessSession, emulatorRequests, emulatorSessions, faceFetch, keyHeaders, type SessionBody } from "../helpers/emulator-client.js";

const KEY = "emulator-inspect-test-key";
const createBody = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };

let emulator: RunningEmulator;
afterEach(async () => {
  await emulator?.close();
});

describe("emulator inspection over HTTP", () => {
  it("when Face calls arrive, then each is listed with its time, operation and session id, and the counts agree", async () => {
    const clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
    emulator = await startEmulator({ apiKey: KEY, clock });
    const created = await createLivenessSession(emulator.url, KEY, createBody);
    clock.advance(250);
    await faceFetch(emulator.url, `/detectLiveness-sessions/${created.body.sessionId}`, { headers: keyHeaders(KEY) });
    // A refused call is seen too (counted before the key is checked).
    await faceFetch(emulator.url, `/detectLiveness-sessions/${created.body.sessionId}`, { headers: keyHeaders("wrong-key") });

    const seen = await emulatorRequests(emulator.url, KEY);
    expect(seen.requests).toEqual([
      { seq: 1, at: clock.now() - 250, operation: "createLivenessSession", requestId: created.headers.get("apim-request-id") },
      { seq: 2, at: clock.now(), operation: "getLivenessSession", sessionId: created.body.sessionId, requestId: expect.any(String) },
      { seq: 3, at: clock.now(), operation: "getLivenessSession", sessionId: created.body.sessionId, requestId: expect.any(String) },
    ]);
    expect(seen.counts).toMatchObject({ createLivenessSession: 1, getLivenessSession: 2, deleteLivenessSession: 0 });
    // Reading the log is not a Face call.
    expect((await emulatorRequests(emulator.url, KEY)).requests).toHaveLength(3);
  });

  it("when the log is deleted, then counts and requests start again from nothing", async () => {
    emulator = await startEmulator({ apiKey: KEY });
    await createLivenessSession(emulator.url, KEY, createBody);
    const reset = await fetch(`${emulator.url}/emulator/requests`, { method: "DELETE", headers: keyHeaders(KEY) });
    expect(reset.status).toBe(204);
    const seen = await emulatorRequests(emulator.url, KEY);
    expect(seen.requests).toEqual([]);
    expect(seen.counts.createLivenessSession).toBe(0);
  });

  it("when sessions are created and one deleted, then /emulator/sessions lists the live ones without their tokens", async () => {
    emulator = await startEmulator({ apiKey: KEY });
    const kept = await createLivenessSession<SessionBody>(emulator.url, KEY, createBody);
    const gone = await createLivenessSession<SessionBody>(emulator.url, KEY, createBody);
    await faceFetch(emulator.url, `/detectLiveness-sessions/${gone.body.sessionId}`, { method: "DELETE", headers: keyHeaders(KEY) });
    const sessions = await emulatorSessions(emulator.url, KEY);
    expect(sessions).toEqual([{ sessionId: kept.body.sessionId, kind: "liveness", status: "NotStarted", createdAt: expect.any(Number), expiresAt: expect.any(Number) }]);
    expect(JSON.stringify(sessions)).not.toContain(kept.body.authToken);
  });

  it("when the subscription key is wrong, then the inspection routes answer 401", async () => {
    emulator = await startEmulator({ apiKey: KEY });
    for (const path of ["/emulator/requests", "/emulator/sessions"]) {
      expect((await fetch(`${emulator.url}${path}`, { headers: keyHeaders("wrong") })).status, path).toBe(401);
    }
    expect((await fetch(`${emulator.url}/emulator/requests`, { method: "DELETE", headers: keyHeaders("wrong") })).status).toBe(401);
  });
});
