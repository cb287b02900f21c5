/**
 * The background loop: watching settles sessions with a callbackUrl that nobody polls (so the webhook goes out), and
 * after the lapse it settles sessions whose token lapsed unused (expired / abandoned) and deletes them at Face. Time
 * is a ManualClock; the loop runs on a short real interval and acts on what the clock says is due. Face's calls are
 * counted in the emulator's own request log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
