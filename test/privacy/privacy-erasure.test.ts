/**
 * DELETE /v1/subjects/{subject} on both state backends: the subject's sessions go at Face and here, with the retained
 * image, audit trails, webhook deliveries and idempotent responses; the other subject's and the other client's stay;
 * a receipt without the subject is left in the audit log; a failed Face deletion is retried by the background loop.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { SessionEventBus } from "../../src/state/session-events.js";
import { erasureReceiptStream } from "../../src/state/audit-log.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { dumpKeyspace } from "../helpers/redis-keyspace.js";
import { redisSource, startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { eventually } from "../sessions/session-outcomes-kit.js";
import { SECRET_NEW } from "../webhooks/webhook-kit.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";

const SUBJECT = "erase-me-subject-7f3a";
const OTHER_SUBJECT = "keep-me-subject-2b9c";

interface Harness {
  stack: TestStack;
  clock: ManualClock;
  bus: SessionEventBus;
  state: State;
  receiver: WebhookReceiver;
  /** Every value under the Redis state's prefix, as text (Redis only). */
  keyspace?: () => Promise<string>;
  close(): Promise<void>;
}

let redisServer: RedisServer | undefined;
afterAll(async () => redisServer?.stop());

async function startHarness(backend: "memory" | "redis"): Promise<Harness> {
  const clock = new ManualClock(Date.now());
  let state: State;
  let keyspace: Harness["keyspace"];
  if (backend === "redis") {
    redisServer ??= await startRedisServer();
    const server = redisServer;
    const prefix = server.keyPrefix();
    state = await openRedisState(server.url, { keyPrefix: prefix, encryptionKeys: [randomBytes(32)] }, clock);
    keyspace = async () => {
      const keys = await dumpKeyspace(server.client(), prefix);
      return keys.map((k) => [k.key, ...k.values.map((v) => v.toString("latin1"))].join("\n")).join("\n");
    };
  } else {
    state = createMemoryState(clock);
  }
  const bus = new SessionEventBus(() => undefined);
  const receiver = await new WebhookReceiver().start();
  const stack = await startStack(
    { WEBHOOK_SECRET: SECRET_NEW, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", FACE_MAX_TPS: "1000", FACE_RETRY_MAX_ATTEMPTS: "1", SESSION_WATCH_INTERVAL_MS: "0", SESSION_SWEEP_INTERVAL_MS: "100" },
    { clock, events: bus, state },
  );
  return {
    stack,
    clock,
    bus,
    state,
    receiver,
    ...(keyspace && { keyspace }),
    close: async () => {
      await stack.close();
      await receiver.close();
    },
  };
}

const erase = (h: Harness, subject: string, client: "acme" | "globex" = "acme") =>
  h.stack.app.inject({ method: "DELETE", url: `/v1/subjects/${encodeURIComponent(subject)}`, headers: auth(client) });

const get = (h: Harness, id: string, client: "acme" | "globex" = "acme") => h.stack.app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth(client) });

async function created(res: { statusCode: number; body: string; json: () => unknown }): Promise<{ id: string; authToken: string }> {
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; authToken: string };
}

const backends = ["memory", ...(redisSource ? (["redis"] as const) : [])] as const;

describe.each(backends)("erasure by subject on %s", (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => h.close());

  it("when a subject is erased, then only the other subject's and the other client's sessions remain, at Face and here", async () => {
    const { app, emulator } = h.stack;
    const idempotent = { kind: "liveness", subject: SUBJECT, deviceCorrelationId: "device-erase-1" };
    const plain = await created(
      await app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "idempotency-key": "erase-key-1" }, payload: idempotent }),
    );
    const verify = await created(
      await createSession(app, { kind: "livenessWithVerify", subject: SUBJECT, enableSessionImage: true, verifyImage: makeTestJpeg().toString("base64") }),
    );
    const hooked = await created(await createSession(app, { kind: "liveness", subject: SUBJECT, callbackUrl: h.receiver.url() }));
    const otherSubject = await created(await createSession(app, { kind: "liveness", subject: OTHER_SUBJECT }));
    const otherClient = await created(await createSession(app, { kind: "liveness", subject: SUBJECT }, "globex"));

    // A retained image for the verify session, and a webhook that failed once and is pending its retry.
    await h.state.images.put({ sessionId: verify.id, clientId: "acme", bytes: makeTestJpeg(), retainUntil: h.clock.now() + 3_600_000 });
    h.receiver.replyWith({ status: 500 });
    h.bus.emit({ type: "decided", sessionId: hooked.id, clientId: "acme", at: h.clock.now(), actor: "system", digestCheck: "match", decision: { outcome: "approved", reasons: [], decidedAt: new Date(h.clock.now()).toISOString() } });
    await h.bus.drain();
    await app.webhooks.runDue();
    await h.bus.drain();
    expect(h.receiver.received).toHaveLength(1);
    expect((await h.state.outbox.listBySession(hooked.id)).map((d) => d.state)).toEqual(["pending"]);
    // Another client asking for a subject it never used erases nothing of acme's, and learns nothing: its answer is
    // the one for a subject nobody ever used.
    const foreign = await erase(h, OTHER_SUBJECT, "globex");
    expect(foreign.statusCode).toBe(200);
    expect(foreign.json()).toEqual((await erase(h, "never-used-subject", "globex")).json());
    expect(foreign.json()).toEqual({ sessions: 0, images: 0, faceDeletions: 0, faceDeletionsPending: 0 });
    expect((await get(h, otherSubject.id)).statusCode).toBe(200);

    const res = await erase(h, SUBJECT);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sessions: 3, images: 1, faceDeletions: 3, faceDeletionsPending: 0 });
    expect(res.body).not.toContain(SUBJECT);

    for (const { id } of [plain, verify, hooked]) {
      expect((await get(h, id)).statusCode).toBe(404);
      expect(await h.state.audit.list(id, 10)).toEqual([]);
      expect(await h.state.outbox.listBySession(id)).toEqual([]);
    }
    expect(emulator.state.findSession(plain.id, "liveness", Date.now())).toBeUndefined();
    expect(emulator.state.findSession(verify.id, "livenessWithVerify", Date.now())).toBeUndefined();
    expect(emulator.state.findSession(hooked.id, "liveness", Date.now())).toBeUndefined();
    expect(await h.state.images.get(verify.id)).toBeUndefined();
    expect(emulator.state.findSession(otherSubject.id, "liveness", Date.now())).toBeDefined();
    expect((await get(h, otherSubject.id)).json().subject).toBe(OTHER_SUBJECT);
    const listed = await app.inject({ method: "GET", url: "/v1/sessions?limit=100", headers: auth() });
    expect(listed.json().items.map((s: { id: string }) => s.id)).toEqual([otherSubject.id]);
    // The other client's session of the same subject is untouched, here and at Face.
    expect((await get(h, otherClient.id, "globex")).json().subject).toBe(SUBJECT);
    expect(emulator.state.findSession(otherClient.id, "liveness", Date.now())).toBeDefined();

    // The pending webhook is never sent again.
    h.clock.advance(3_600_000);
    await app.webhooks.runDue();
    expect(h.receiver.received).toHaveLength(1);

    // An idempotent replay answers 404, never the stored token, and creates nothing.
    const creates = emulator.state.requestCount("createLivenessSession");
    const replay = await app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "idempotency-key": "erase-key-1" }, payload: idempotent });
    expect(replay.statusCode).toBe(404);
    expect(replay.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
    expect(replay.body).not.toContain(plain.authToken);
    expect(emulator.state.requestCount("createLivenessSession")).toBe(creates);

    // One receipt per erasure in each client's stream: counts and an HMAC, never the subject.
    const receipts = await h.state.audit.list(erasureReceiptStream("acme"), 10);
    expect(receipts).toEqual([
      { at: expect.any(String), event: "subjectErased", actor: "acme", erased: { sessions: 3, images: 1, faceDeletions: 3, faceDeletionsPending: 0 }, subjectHmac: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    ]);
    expect(JSON.stringify(receipts)).not.toContain(SUBJECT);

    // Idempotent: a repeat erases nothing more, and its receipt matches the first by its HMAC.
    expect((await erase(h, SUBJECT)).json()).toEqual({ sessions: 0, images: 0, faceDeletions: 0, faceDeletionsPending: 0 });
    const [first, second] = await h.state.audit.list(erasureReceiptStream("acme"), 10);
    expect(second?.subjectHmac).toBe(first?.subjectHmac);

    // The subject is in the request path, yet in no log line (the path is logged masked).
    expect(h.stack.logs.text).toContain("/v1/subjects/***");
    expect(h.stack.logs.text).not.toContain(SUBJECT);

    // Once the other client erases its own too, nothing anywhere names the subject. The hour that passed above expired
    // that session, so the background sweep deletes it at Face on its own; wait for that, so the erasure's count of
    // Face deletions does not depend on which of the two got there first.
    await vi.waitFor(() => expect(emulator.state.findSession(otherClient.id, "liveness", Date.now())).toBeUndefined(), { timeout: 5_000 });
    expect((await erase(h, SUBJECT, "globex")).json()).toEqual({ sessions: 1, images: 0, faceDeletions: 0, faceDeletionsPending: 0 });
    expect(emulator.state.findSession(otherClient.id, "liveness", Date.now())).toBeUndefined();
    if (h.keyspace) {
      const text = await h.keyspace();
      expect(text).toContain(OTHER_SUBJECT);
      expect(text).not.toContain(SUBJECT);
    }
  });

  it("when a subject is erased while its device attempts are under way, then no session of that subject survives, here or at Face", async () => {
    const { app, emulator } = h.stack;
    const subject = "erase-me-mid-attempt-44";
    const sessions = await Promise.all(
      ["device-mid-1", "device-mid-2"].map(async (deviceCorrelationId) => created(await createSession(app, { kind: "liveness", subject, deviceCorrelationId }))),
    );
    // One phone has started (Running at Face); the other's attempt races the erasure itself.
    expect((await emulatorDeviceAttempt(emulator.url, "liveness", sessions[0]!.authToken, { start: true })).status).toBe(200);
    const [erased, attempt] = await Promise.all([
      erase(h, subject),
      emulatorDeviceAttempt(emulator.url, "liveness", sessions[1]!.authToken, { livenessDecision: "realface" }),
    ]);
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({ sessions: 2, faceDeletionsPending: 0 });
    // The racing attempt either landed before the deletion or was refused after it; neither brings the session back.
    expect([200, 401, 404, 410]).toContain(attempt.status);
    // The phone that started finishes its attempt after the erasure: Face no longer has the session.
    expect((await emulatorDeviceAttempt(emulator.url, "liveness", sessions[0]!.authToken, { livenessDecision: "realface" })).status).not.toBe(200);
    for (const session of sessions) {
      expect((await get(h, session.id)).statusCode).toBe(404);
      expect(emulator.state.findSession(session.id, "liveness", Date.now())).toBeUndefined();
    }
    const listed = await app.inject({ method: "GET", url: `/v1/sessions?subject=${subject}`, headers: auth() });
    expect(listed.json().items).toEqual([]);
  });

  it("when Face fails to delete during an erasure, then it is counted pending, reads as 404, and the background loop deletes it later", async () => {
    const { app, emulator } = h.stack;
    const subject = "erase-me-later-91";
    const session = await created(await createSession(app, { kind: "liveness", subject, deviceCorrelationId: "device-later" }));
    // As many failures as the quota guard makes attempts at a delete, so the erasure's deletion fails whether or not
    // the guard's retries start in time.
    emulator.state.faults.set([{ fault: "500", count: 3, operations: ["deleteLivenessSession"] }]);
    const res = await erase(h, subject);
    emulator.state.faults.clear();
    expect(res.json()).toEqual({ sessions: 1, images: 0, faceDeletions: 0, faceDeletionsPending: 1 });
    expect((await get(h, session.id)).statusCode).toBe(404);
    expect(emulator.state.findSession(session.id, "liveness", Date.now())).toBeDefined();
    // The tombstone holds nothing about the person.
    const tombstone = await h.state.sessions.get(session.id);
    expect(tombstone).toMatchObject({ erased: true, faceDeletionDue: true });
    expect(JSON.stringify(tombstone)).not.toContain(subject);
    expect(JSON.stringify(tombstone)).not.toContain("device-later");

    // The loop ticks on real time and retries when the app's clock says the retry is due.
    await eventually(async () => {
      h.clock.advance(200);
      expect(emulator.state.findSession(session.id, "liveness", Date.now())).toBeUndefined();
      expect(await h.state.sessions.get(session.id)).toBeUndefined();
    });
  });
});
