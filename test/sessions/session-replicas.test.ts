/**
 * Two apps sharing one state, as two replicas behind a load balancer share one Redis (and, in memory, as two apps
 * in one process share one state): a long-poll loop per session for the whole pair, a decision settled and
 * announced once however many reads race for it, and one Face create for concurrent duplicates of an idempotent
 * create. Real HTTP to the emulator, real Redis when the run has one; the processes' version is test/cluster/.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { createLogger } from "../../src/logger.js";
import { LONG_POLL_INTERVALS } from "../../src/sessions/session-poll-hub.js";
import type { SessionEvent } from "../../src/state/session-events.js";
import { apiKeysEnv, auth, CapturedLogs, FACE_KEY } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { sharedStateBackends } from "../helpers/shared-state.js";
import { SECRET_NEW } from "../webhooks/webhook-kit.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";
import { eventually } from "./session-outcomes-kit.js";

const sharedBackends = sharedStateBackends();

interface Replica {
  app: FastifyInstance;
  events: SessionEvent[];
}

describe.each(sharedBackends)("two replicas on one $name state", (backend) => {
  let emulator: RunningEmulator;
  let receiver: WebhookReceiver;
  let replicas: Replica[];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    receiver = await new WebhookReceiver().start();
    const base = loadConfig({
      API_KEYS: apiKeysEnv,
      // Polling here is the long-poll's alone: no background watcher reads Face behind the test's back.
      SESSION_WATCH_INTERVAL_MS: "0",
      FACE_MAX_TPS: "1000",
      WEBHOOK_SECRET: SECRET_NEW,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
    });
    const config = { ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY } };
    const states = await backend.states(2);
    replicas = await Promise.all(
      states.map(async (state) => {
        const app = await buildApp(config, { state, logger: createLogger("warn", new CapturedLogs().stream) });
        const events: SessionEvent[] = [];
        app.sessionEvents.subscribe((event) => {
          events.push(event);
        });
        await app.ready();
        return { app, events };
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.app.close()));
    await emulator.close();
    await receiver.close();
  });

  const [A, B] = [0, 1];
  const create = async (replica: number, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const res = await replicas[replica]!.app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { ...auth(), ...headers },
      payload: { kind: "liveness", deviceCorrelationId: `device-${randomUUID()}`, ...body },
    });
    return res;
  };
  const created = async (replica: number, body: Record<string, unknown> = {}) => {
    const res = await create(replica, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; authToken: string };
  };
  const read = (replica: number, id: string, query = "") => replicas[replica]!.app.inject({ method: "GET", url: `/v1/sessions/${id}${query}`, headers: auth() });
  const facePolls = (id: string) => emulator.state.requestLog().filter((r) => r.operation === "getLivenessSession" && r.sessionId === id);
  const gaps = (seen: Array<{ at: number }>) => seen.slice(1).map((r, i) => r.at - seen[i]!.at);
  // Timers may fire a few milliseconds early; two pollers at once would show gaps near 0.
  const MIN_GAP = LONG_POLL_INTERVALS.activeMs - 20;

  it("when callers long-poll one session on both replicas, then Face sees one read per poll interval for the pair, and every waiter gets the decision", async () => {
    const session = await created(A);
    const waiting = Promise.all([A, B, A, B, A, B].map((r) => read(r, session.id, "?waitSeconds=25")));
    // Several polls go by (0, 0.5, 1.5 s...) before the device answers.
    await eventually(() => expect(facePolls(session.id).length).toBeGreaterThanOrEqual(3), 15_000);
    await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "spoofface" });
    const answers = await waiting;
    expect(answers.map((a) => [a.statusCode, a.json().decision.outcome])).toEqual(Array(6).fill([200, "declined"]));
    const polls = facePolls(session.id);
    expect(Math.min(...gaps(polls)), JSON.stringify(gaps(polls))).toBeGreaterThanOrEqual(MIN_GAP);
  });

  it("when callers on both replicas follow a session, coming straight back after each answer, then Face sees one read per interval for the pair", async () => {
    const session = await created(A);
    const follow = async (replica: number) => {
      let etag: string | undefined;
      const statuses: string[] = [];
      for (;;) {
        const res = await replicas[replica]!.app.inject({ method: "GET", url: `/v1/sessions/${session.id}?waitSeconds=20`, headers: { ...auth(), ...(etag && { "if-none-match": etag }) } });
        if (res.statusCode === 304) continue;
        etag = res.headers.etag as string;
        statuses.push(res.json().status);
        if (res.json().decision.decidedAt !== null) return statuses;
      }
    };
    const following = Promise.all([A, B, A, B].map(follow));
    await eventually(() => expect(facePolls(session.id).length).toBeGreaterThanOrEqual(2), 15_000);
    await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { start: true });
    const started = facePolls(session.id).length;
    await eventually(() => expect(facePolls(session.id).length).toBeGreaterThanOrEqual(started + 2), 15_000);
    await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "spoofface" });
    // Every caller heard the device start, then the decision.
    expect((await following).map((statuses) => statuses.slice(-2))).toEqual(Array(4).fill(["running", "succeeded"]));
    const polls = facePolls(session.id);
    expect(Math.min(...gaps(polls)), JSON.stringify(gaps(polls))).toBeGreaterThanOrEqual(MIN_GAP);
  });

  it("when the polling replica's waiters leave, then a waiter on the other replica takes the polling over and gets the decision", async () => {
    const session = await created(A);
    const first = read(A, session.id, "?waitSeconds=1");
    // A polls first (its loop took the lease); B's waiter then follows.
    await eventually(() => expect(facePolls(session.id).length).toBeGreaterThanOrEqual(1));
    const second = read(B, session.id, "?waitSeconds=25");
    expect((await first).json().decision.outcome).toBe("pending");
    const before = facePolls(session.id).length;
    // Nobody waits on A any more: only B's loop can be reading Face now.
    await eventually(() => expect(facePolls(session.id).length).toBeGreaterThan(before + 1), 15_000);
    await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "spoofface" });
    expect((await second).json().decision.outcome).toBe("declined");
    expect(Math.min(...gaps(facePolls(session.id)))).toBeGreaterThanOrEqual(MIN_GAP);
  });

  it("when reads race on both replicas for a decision, then it settles once: one decided event, one webhook delivery", async () => {
    const session = await created(A, { callbackUrl: receiver.url(`/race/${randomUUID()}`) });
    await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "spoofface" });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => read(i % 2, session.id)));
    // Every answer is a 200 view; any other shows its status and body here.
    expect(answers.filter((a) => a.statusCode !== 200).map((a) => `${a.statusCode} ${a.body}`)).toEqual([]);
    expect(new Set(answers.map((a) => a.json().decision.outcome))).toEqual(new Set(["declined"]));
    expect(new Set(answers.map((a) => a.json().decision.decidedAt)).size).toBe(1);
    const decided = replicas.flatMap((r) => r.events).filter((e) => e.type === "decided" && e.sessionId === session.id);
    expect(decided).toHaveLength(1);
    await eventually(() => expect(receiver.received.filter((w) => w.json.data && (w.json.data as { sessionId: string }).sessionId === session.id)).toHaveLength(1));
    const log = await replicas[B]!.app.inject({ method: "GET", url: `/v1/sessions/${session.id}/events`, headers: auth() });
    expect(log.json().deliveries).toHaveLength(1);
  });

  it("when one replica settles the decision and deletes the session at Face while the other's read is on its way, then that read answers the settled decision", async () => {
    const session = await created(A);
    await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "spoofface" });
    // B's Face read is held at Face's door until A has settled the decision and Face has forgotten the session.
    emulator.state.faults.set([{ fault: "latency", ms: 1500, operations: ["getLivenessSession"], count: 1 }]);
    const late = read(B, session.id);
    await eventually(() => expect(facePolls(session.id)).toHaveLength(1));
    const first = await read(A, session.id);
    expect(first.statusCode, first.body).toBe(200);
    await eventually(() => expect(emulator.state.requestLog().filter((r) => r.operation === "deleteLivenessSession" && r.sessionId === session.id)).toHaveLength(1));
    const answer = await late;
    expect([answer.statusCode, answer.json().decision]).toEqual([200, first.json().decision]);
    expect(replicas.flatMap((r) => r.events).filter((e) => e.type === "decided" && e.sessionId === session.id)).toHaveLength(1);
  });

  it("when duplicates of an idempotent create arrive on both replicas at once, then Face creates one session and every caller gets its response", async () => {
    const key = `dup-${randomUUID()}`;
    const before = emulator.state.requestCount("createLivenessSession");
    const body = { deviceCorrelationId: "device-dup", subject: "user-dup" };
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => create(i % 2, body, { "idempotency-key": key })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(201));
    expect(emulator.state.requestCount("createLivenessSession") - before).toBe(1);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers.filter((a) => a.headers["idempotent-replayed"] === "true")).toHaveLength(5);
  });
});
