/**
 * The background loop: watching settles sessions with a callbackUrl that nobody polls (so the webhook goes out), and
 * after the lapse it settles sessions whose token lapsed unused (expired / abandoned) and deletes them at Face. Time
 * is a ManualClock; the loop runs on a short real interval and acts on what the clock says is due. Face's calls are
 * counted in the emulator's own request log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WATCH_DEFER_MS } from "../../src/sessions/session-background.js";
import { LEASE_SLACK_MS, leaseName, LONG_POLL_INTERVALS } from "../../src/sessions/session-poll-hub.js";
import { DELETION_PICKUP_MS } from "../../src/sessions/session-schedule.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";
import { create, device, eventsOf, eventually, faceHas, faceRequestsFor, read, startOutcomeStack, WEBHOOKS_ON, type OutcomeStack } from "./session-outcomes-kit.js";

const SECOND = 1000;

describe("the watcher", () => {
  let stack: OutcomeStack;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    stack = await startOutcomeStack({ SESSION_WATCH_INTERVAL_MS: "100", SESSION_WATCH_FIRST_POLL_MS: "1000", ...WEBHOOKS_ON });
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  /** The Face reads of one session so far (the emulator's own log). */
  const readsOf = (id: string) => faceRequestsFor(stack, id).filter((r) => r.operation === "getLivenessSession").length;
  /** Lets the loop, which ticks every 100 ms of real time, act on what the clock says. */
  const ticks = () => new Promise((resolve) => setTimeout(resolve, 350));

  it("when a session with a callbackUrl settles and nobody reads it, then the watcher decides it, and it leaves Face once the webhook is delivered", async () => {
    receiver.replyWith({ status: 503 }); // the first delivery fails: the session must stay at Face until one succeeds
    const session = await create(stack, { callbackUrl: receiver.url() }, "globex");
    await device(stack, session, { livenessDecision: "realface" });
    stack.clock.advance(1050); // the watcher's first read is due 1 s (by the clock) after the creation
    await eventually(() => expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ actor: "system", decision: { outcome: "approved" } }]));
    expect(eventsOf(stack, session.id, "attemptSeen")).toMatchObject([{ actor: "system", attemptId: 1 }]);
    await eventually(() => expect(eventsOf(stack, session.id, "webhookFailed")).toHaveLength(1));
    expect(faceHas(stack, session)).toBe(true);

    stack.clock.advance(13_000); // the delivery's retry is due (10 s, give or take its 20 % jitter)
    await eventually(() => expect(eventsOf(stack, session.id, "deletedAtFace")).toMatchObject([{ actor: "system" }]));
    expect(faceHas(stack, session)).toBe(false);
    expect(receiver.received).toHaveLength(2);
    // Face saw the create, the one read that found the decision, and the delete: the floor for a session.
    expect(faceRequestsFor(stack, session.id).map((r) => r.operation)).toEqual(["createLivenessSession", "getLivenessSession", "deleteLivenessSession"]);
  });

  it("when the watcher's first read is not due yet, then Face is not asked; once it is, Face is read once", async () => {
    const session = await create(stack, { callbackUrl: receiver.url() });
    stack.clock.advance(900);
    await ticks();
    expect(readsOf(session.id)).toBe(0);
    stack.clock.advance(100);
    await eventually(() => expect(readsOf(session.id)).toBe(1));
  });

  it("when a caller reads a watched session right before its watch is due, then the watcher does not read it again", async () => {
    const session = await create(stack, { callbackUrl: receiver.url() });
    stack.clock.advance(990);
    expect((await read(stack, session.id)).statusCode).toBe(200);
    expect(readsOf(session.id)).toBe(1);
    stack.clock.advance(60); // past the watch's old due time, within one interval of the caller's read
    await ticks();
    expect(readsOf(session.id)).toBe(1);
    stack.clock.advance(150); // the caller's read counted as a quiet read: the watcher's turn comes 200 ms after it
    await eventually(() => expect(readsOf(session.id)).toBe(2));
  });

  it("when a session has no callbackUrl, then the background loop reads it only once its token lapsed", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 60 });
    for (let elapsed = 0; elapsed < 55_000; elapsed += 5000) {
      stack.clock.advance(5000);
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    await ticks();
    expect(readsOf(session.id)).toBe(0);
    stack.clock.advance(6000);
    await eventually(() => expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ actor: "system", decision: { outcome: "expired" } }]));
    await eventually(() => expect(eventsOf(stack, session.id, "deletedAtFace")).toHaveLength(1));
    expect(faceRequestsFor(stack, session.id).map((r) => r.operation)).toEqual(["createLivenessSession", "getLivenessSession", "deleteLivenessSession"]);
  });

  it("when a webhook is delivered for a session still pending, then nothing is deleted", async () => {
    const session = await create(stack);
    stack.app.sessionEvents.emit({ type: "webhookDelivered", sessionId: session.id, clientId: "acme", at: stack.clock.now(), actor: "system", webhookId: "wh-2", attempt: 1, status: 200 });
    await ticks();
    expect(faceHas(stack, session)).toBe(true);
  });
});

describe("work a dead replica left", () => {
  let stack: OutcomeStack;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    stack = await startOutcomeStack({ SESSION_WATCH_INTERVAL_MS: "100", SESSION_WATCH_FIRST_POLL_MS: "1000", ...WEBHOOKS_ON });
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  const readsOf = (id: string) => faceRequestsFor(stack, id).filter((r) => r.operation === "getLivenessSession").length;
  const ticks = () => new Promise((resolve) => setTimeout(resolve, 350));
  /** The longest a long-poll loop's lease outlives it: its slowest interval and the slack for one slow Face read. */
  const POLL_LEASE_MS = LONG_POLL_INTERVALS.maxMs + LEASE_SLACK_MS;

  it("when a long-poll loops on a watched session, then its Face reads leave the watcher's schedule where it was", async () => {
    const session = await create(stack, { callbackUrl: receiver.url() });
    // The watcher reads every 20 s by now, and its next read is 5 s away: a plain caller's read would move it on.
    const dueAt = stack.clock.now() + 5000;
    await stack.store.update(session.id, { watchIntervalMs: 20_000, dueAt });
    expect((await read(stack, session.id, "?waitSeconds=3")).statusCode).toBe(200);
    expect(readsOf(session.id)).toBeGreaterThanOrEqual(1);
    expect(await stack.store.get(session.id)).toMatchObject({ dueAt, watchIntervalMs: 20_000 });
  });

  it("when the replica long-polling a session dies, then the watcher reads it once the poll lease lapsed, within WATCH_DEFER_MS, however far its backoff had grown", async () => {
    const session = await create(stack, { callbackUrl: receiver.url() });
    // The watcher had backed off to a quarter of the token's life (150 s) and is due; a long-poll loop on another
    // replica holds the poll lease, and that replica dies now.
    await stack.store.update(session.id, { watchIntervalMs: 150_000, dueAt: stack.clock.now() });
    expect(await stack.state.leases.acquire(leaseName(session.id), "replica-that-died", POLL_LEASE_MS)).toBeDefined();
    const diedAt = stack.clock.now();
    // The watcher defers to the lease: no Face read, and it looks again WATCH_DEFER_MS later, not 150 s.
    await eventually(async () => expect((await stack.store.get(session.id))?.dueAt).toBe(diedAt + WATCH_DEFER_MS));
    expect(readsOf(session.id)).toBe(0);
    stack.clock.advance(WATCH_DEFER_MS);
    await eventually(async () => expect((await stack.store.get(session.id))?.dueAt).toBe(diedAt + 2 * WATCH_DEFER_MS));
    expect(readsOf(session.id)).toBe(0); // the lease still held
    stack.clock.advance(WATCH_DEFER_MS);
    expect(stack.clock.now() - diedAt).toBeGreaterThan(POLL_LEASE_MS);
    await eventually(() => expect(readsOf(session.id)).toBe(1));
  });

  it("when a caller reads the settled decision, then the same write makes its deletion at Face due DELETION_PICKUP_MS later", async () => {
    const session = await create(stack, {}, "globex");
    await device(stack, session, { livenessDecision: "realface" });
    // Face holds the deletion for a while: the record is looked at in between.
    stack.emulator.state.faults.set({ rules: [{ fault: "latency", ms: 1000, operations: ["deleteLivenessSession"], count: 1 }] });
    const readAt = stack.clock.now();
    expect((await read(stack, session.id, "", "globex")).json().decision).toMatchObject({ outcome: "approved" });
    const record = await stack.store.get(session.id);
    expect(record).toMatchObject({ decisionReadAt: readAt, dueAt: readAt + DELETION_PICKUP_MS });
    expect(record).not.toHaveProperty("deletedAtFaceAt");
    // This replica does it; done, nothing more is due.
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    await eventually(async () => expect(await stack.store.get(session.id)).not.toHaveProperty("dueAt"));
    stack.emulator.state.faults.clear();
  });

  it("when the replica that recorded a read decision dies before deleting it at Face, then the background loop deletes it DELETION_PICKUP_MS later", async () => {
    const session = await create(stack, {}, "globex");
    await device(stack, session, { livenessDecision: "realface" });
    // What that replica left: the decision settled and read, the deletion due, not done.
    const readAt = stack.clock.now();
    const decision = { outcome: "approved" as const, reasons: [], decidedAt: new Date(readAt).toISOString() };
    await stack.store.settle(session.id, { decision, digestCheck: "notChecked" }, { decisionReadAt: readAt, dueAt: readAt + DELETION_PICKUP_MS });
    stack.clock.advance(DELETION_PICKUP_MS - 1);
    await ticks();
    expect(faceHas(stack, session)).toBe(true);
    stack.clock.advance(1);
    // The event follows Face's answer to the deletion, so once it is there Face no longer has the session.
    await eventually(() => expect(eventsOf(stack, session.id, "deletedAtFace")).toMatchObject([{ actor: "system" }]));
    expect(faceHas(stack, session)).toBe(false);
  });
});

describe("after the lapse", () => {
  let stack: OutcomeStack;
  beforeAll(async () => {
    // Face (the emulator) keeps its own time here, so only the background loop can have removed a session from it.
    stack = await startOutcomeStack({ SESSION_SWEEP_INTERVAL_MS: "100" });
  });
  afterAll(async () => stack.close());

  it("when a token lapses and the device never started, then the session is settled expired and deleted at Face", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 60 });
    stack.clock.advance(61 * SECOND);
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ actor: "system", decision: { outcome: "expired" } }]);
    const view = (await read(stack, session.id)).json();
    expect(view.decision).toMatchObject({ outcome: "expired", reasons: [{ code: "NO_ATTEMPT" }, { code: "TOKEN_EXPIRED" }] });
  });

  it("when a session that never started is settled expired, then it is kept an hour past its token, not a day", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 60 });
    stack.clock.advance(61 * SECOND);
    // Settled a second after the lapse, at this clock time: an hour from then.
    const settledAt = stack.clock.now();
    await eventually(async () => expect((await stack.store.get(session.id))?.expiresAt).toBe(settledAt + 60 * 60 * SECOND));
    expect((await read(stack, session.id)).json().decision.outcome).toBe("expired");
    stack.clock.advance(60 * 60 * SECOND);
    expect((await read(stack, session.id)).statusCode).toBe(404);
  });

  it("when a token lapses after the device started but made no attempt, then the session is abandoned", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 60 });
    await device(stack, session, { start: true });
    expect((await read(stack, session.id)).json().status).toBe("running");
    stack.clock.advance(61 * SECOND);
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    expect((await read(stack, session.id)).json().decision.outcome).toBe("abandoned");
  });

  it("when the token has not lapsed, then the background loop leaves the session alone", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 600 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(faceHas(stack, session)).toBe(true);
    expect(eventsOf(stack, session.id, "decided")).toEqual([]);
  });
});

describe("Face forgot a lapsed session", () => {
  let stack: OutcomeStack;
  beforeAll(async () => {
    stack = await startOutcomeStack({}, { sharedClock: true });
  });
  afterAll(async () => stack.close());

  it("when Face answers 404 for an unsettled session whose token lapsed, then GET settles it expired instead of answering 404", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 60 });
    stack.clock.advance(61 * SECOND);
    const res = await read(stack, session.id);
    expect(res.statusCode).toBe(200);
    expect(res.json().decision).toMatchObject({ outcome: "expired", decidedAt: new Date(stack.clock.now()).toISOString() });
  });

  it("when Face forgot a session whose token has not lapsed, then GET still answers 404", async () => {
    const session = await create(stack, { authTokenTtlSeconds: 600 });
    stack.emulator.state.deleteSession(session.id);
    expect((await read(stack, session.id)).json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
  });
});
