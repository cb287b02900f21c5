/**
 * The live-session cap over HTTP, against the emulator: a client at SESSION_MAX_LIVE_PER_CLIENT (or its policy's
 * maxLiveSessions) gets 429 LSO_ERR_TOO_MANY_LIVE_SESSIONS with Retry-After, and the refused create costs Face
 * nothing (creates are counted at the emulator). A slot frees when a session settles, is deleted, or its token
 * lapses; an idempotent replay takes none; and two replicas sharing one state (memory, or a real Redis) never
 * admit more than the cap between them.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { apiKeysEnv, auth, CapturedLogs, createSession, FACE_KEY, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { sharedStateBackends } from "../helpers/shared-state.js";

const faceCreates = (emulator: RunningEmulator) => emulator.state.requestLog().filter((r) => r.operation === "createLivenessSession").length;
const body = () => ({ kind: "liveness", deviceCorrelationId: `device-${randomUUID()}`, authTokenTtlSeconds: 120 });

describe("the live-session cap (one app)", () => {
  let stack: TestStack;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    stack = await startStack(
      {
        SESSION_MAX_LIVE_PER_CLIENT: "2",
        CLIENT_POLICIES: JSON.stringify({ globex: { maxLiveSessions: 1 } }),
        SESSION_WATCH_INTERVAL_MS: "0",
        DELETE_AFTER_DECISION: "false",
      },
      { clock, state: createMemoryState(clock) },
    );
  });
  afterAll(async () => stack.close());
  // Each test starts with no live session: every one it made has lapsed.
  afterEach(() => clock.advance(10 * 60 * 1000));

  it("when a client holds its most live sessions, then a further create answers 429 LSO_ERR_TOO_MANY_LIVE_SESSIONS with Retry-After, and Face is not called", async () => {
    for (let i = 0; i < 2; i += 1) expect((await createSession(stack.app, body())).statusCode).toBe(201);
    const before = faceCreates(stack.emulator);
    const refused = await createSession(stack.app, body());
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: "LSO_ERR_TOO_MANY_LIVE_SESSIONS", requestId: expect.any(String) } });
    // The earliest token lapses in 120 s; the caller is told to look again within a minute.
    expect(refused.headers["retry-after"]).toBe("60");
    expect(faceCreates(stack.emulator)).toBe(before);
    // Another client's count is its own.
    expect((await createSession(stack.app, body(), "globex")).statusCode).toBe(201);
  });

  it("when a client's policy sets maxLiveSessions, then that is its cap", async () => {
    expect((await createSession(stack.app, body(), "globex")).statusCode).toBe(201);
    expect((await createSession(stack.app, body(), "globex")).json()).toMatchObject({ error: { code: "LSO_ERR_TOO_MANY_LIVE_SESSIONS" } });
  });

  it("when a live session is deleted, or settles, then its slot frees at once", async () => {
    const first = (await createSession(stack.app, body())).json() as { id: string; authToken: string };
    const second = (await createSession(stack.app, body())).json() as { id: string; authToken: string };
    expect((await createSession(stack.app, body())).statusCode).toBe(429);
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${first.id}`, headers: auth() })).statusCode).toBe(204);
    expect((await createSession(stack.app, body())).statusCode).toBe(201);
    expect((await createSession(stack.app, body())).statusCode).toBe(429);
    // A spoof settles as declined on the next read.
    await emulatorDeviceAttempt(stack.emulator.url, "liveness", second.authToken, { livenessDecision: "spoofface" });
    const read = await stack.app.inject({ method: "GET", url: `/v1/sessions/${second.id}`, headers: auth() });
    expect(read.json()).toMatchObject({ decision: { outcome: "declined" } });
    expect((await createSession(stack.app, body())).statusCode).toBe(201);
  });

  it("when live sessions' tokens lapse unsettled, then their slots free at the lapse, with nothing read or swept", async () => {
    for (let i = 0; i < 2; i += 1) expect((await createSession(stack.app, body())).statusCode).toBe(201);
    expect((await createSession(stack.app, body())).statusCode).toBe(429);
    clock.advance(120 * 1000);
    expect((await createSession(stack.app, body())).statusCode).toBe(201);
  });

  it("when an idempotent create is replayed at the cap, then it answers the original session and takes no slot and no Face call", async () => {
    const key = { "idempotency-key": randomUUID() };
    const payload = body();
    const first = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), ...key }, payload });
    expect((await createSession(stack.app, body())).statusCode).toBe(201);
    const before = faceCreates(stack.emulator);
    const replay = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), ...key }, payload });
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toMatchObject({ id: (first.json() as { id: string }).id });
    expect(faceCreates(stack.emulator)).toBe(before);
    expect((await createSession(stack.app, body())).statusCode).toBe(429);
  });
});

const sharedBackends = sharedStateBackends();

describe.each(sharedBackends)("the live-session cap across two replicas on one $name state", (backend) => {
  let emulator: RunningEmulator;
  let apps: FastifyInstance[];
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    const base = loadConfig({ API_KEYS: apiKeysEnv, SESSION_MAX_LIVE_PER_CLIENT: "3", SESSION_WATCH_INTERVAL_MS: "0", FACE_MAX_TPS: "1000" });
    const config = { ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY } };
    apps = await Promise.all(
      (await backend.states(2)).map(async (state) => {
        const app = await buildApp(config, { state, logger: createLogger("warn", new CapturedLogs().stream) });
        await app.ready();
        return app;
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await emulator.close();
  });

  it("when creates race on both replicas for the last slots, then exactly the cap is admitted and only those reach Face", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => createSession(apps[i % 2]!, body())));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
    expect(faceCreates(emulator)).toBe(3);
  });
});
