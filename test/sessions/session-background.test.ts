/**
 * The background loop: watching settles sessions nobody polls (so a webhook can go out), and after the lapse it
 * settles sessions whose token lapsed unused (expired / abandoned) and deletes them at Face. Time is a ManualClock;
 * the loop runs on a short real interval and acts on what the clock says is due.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, device, eventsOf, eventually, faceHas, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

const SECOND = 1000;

describe("the watcher", () => {
  let stack: OutcomeStack;
  beforeAll(async () => {
    stack = await startOutcomeStack({ SESSION_WATCH_INTERVAL_MS: "100" });
  });
  afterAll(async () => stack.close());

  it("when a session settles and nobody reads it, then the watcher decides it, and the session stays at Face until the decision is delivered", async () => {
    const session = await create(stack, {}, "globex");
    await device(stack, session, { livenessDecision: "realface" });
    stack.clock.advance(150); // the session's first poll is due 100 ms (by the clock) after its creation
    await eventually(() => expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ actor: "system", decision: { outcome: "approved" } }]));
    expect(eventsOf(stack, session.id, "attemptSeen")).toMatchObject([{ actor: "system", attemptId: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(faceHas(stack, session)).toBe(true);

    // What the webhook dispatcher reports once it delivered session.decided.
    stack.app.sessionEvents.emit({ type: "webhookDelivered", sessionId: session.id, clientId: "globex", at: stack.clock.now(), actor: "system", webhookId: "wh-1", attempt: 1, status: 200 });
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    expect(eventsOf(stack, session.id, "deletedAtFace")).toMatchObject([{ actor: "system" }]);
  });

  it("when the watcher's first poll is not due yet, then Face is not asked", async () => {
    const session = await create(stack);
    const before = stack.emulator.state.requestCount("getLivenessSession");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stack.emulator.state.requestCount("getLivenessSession")).toBe(before);
    expect(eventsOf(stack, session.id, "attemptSeen")).toEqual([]);
  });

  it("when a webhook is delivered for a session still pending, then nothing is deleted", async () => {
    const session = await create(stack);
    stack.app.sessionEvents.emit({ type: "webhookDelivered", sessionId: session.id, clientId: "acme", at: stack.clock.now(), actor: "system", webhookId: "wh-2", attempt: 1, status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 300));
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
