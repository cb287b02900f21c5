/**
 * Long-poll answers on any change of the view the caller holds, not only on a settled decision: a real face awaiting
 * the client digest, an uncertain attempt (retry), a status change. What the caller holds is the view its
 * If-None-Match names, or else the view as the wait began. Each early answer is guarded by the test's own timeout,
 * shorter than the wait it asks for (a wait that ran its full time fails the test); a wait that must run its full
 * time is shown by the answer's content and ETag, never by a clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complete, create, device, faceReads, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

let stack: OutcomeStack;
beforeAll(async () => {
  stack = await startOutcomeStack({ DELETE_AFTER_DECISION: "false" });
});
afterAll(async () => stack.close());

/** Longer than each test's timeout below: an answer that waited the full time fails the test. */
const LONG_WAIT = "?waitSeconds=30";
const EARLY = { timeout: 20_000 };

/**
 * A long-poll, given a moment to begin waiting. Not needed for the answer: a long-poll never reads Face before it
 * waits, so whatever the device does after the caller's last read is news to it, whenever the wait begins.
 */
async function waiting(id: string, query = LONG_WAIT, client: "acme" | "globex" = "acme", headers: Record<string, string> = {}) {
  const answer = read(stack, id, query, client, headers);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return answer;
}

describe("long-poll answers on any change", () => {
  it("when a real face awaits the caller's digest, then the waiting caller hears of the attempt at once (the decision stays pending)", EARLY, async () => {
    const session = await create(stack);
    const answer = waiting(session.id);
    await device(stack, session, { livenessDecision: "realface" });
    const res = await answer;
    expect(res.statusCode).toBe(200);
    const view = res.json();
    expect(view.latestAttempt).toMatchObject({ attemptId: 1, livenessDecision: "realface" });
    expect(view.decision).toMatchObject({ outcome: "pending", decidedAt: null });
  });

  it("when an attempt comes back uncertain, then the waiting caller is told to retry at once", EARLY, async () => {
    const session = await create(stack, {}, "globex");
    const answer = waiting(session.id, LONG_WAIT, "globex");
    await device(stack, session, { livenessDecision: "uncertain" });
    const res = await answer;
    expect(res.json().latestAttempt).toMatchObject({ attemptId: 1, livenessDecision: "uncertain" });
    expect(res.json().decision).toMatchObject({ outcome: "retry", decidedAt: null });
  });

  it("when the device reports a spoof, then the waiting caller gets the settled decline", EARLY, async () => {
    const session = await create(stack);
    const answer = waiting(session.id);
    await device(stack, session, { livenessDecision: "spoofface" });
    const res = await answer;
    expect(res.json().decision.outcome).toBe("declined");
    expect(res.json().decision.decidedAt).not.toBeNull();
  });

  it("when the device starts, then the waiting caller hears the new status, and its ETag then waits for the attempt", EARLY, async () => {
    const session = await create(stack, {}, "globex");
    const first = waiting(session.id, LONG_WAIT, "globex");
    await device(stack, session, { start: true });
    const running = await first;
    expect(running.json()).toMatchObject({ status: "running", attempts: [] });
    const second = waiting(session.id, LONG_WAIT, "globex", { "if-none-match": running.headers.etag as string });
    await device(stack, session, { livenessDecision: "uncertain" });
    const res = await second;
    expect(res.statusCode).toBe(200);
    expect(res.json().decision.outcome).toBe("retry");
    expect(res.headers.etag).not.toBe(running.headers.etag);
  });

  it("when the digest reaches the server while another caller waits, then that caller gets the settled decision", EARLY, async () => {
    const session = await create(stack);
    const digest = await device(stack, session, { livenessDecision: "realface" });
    const seen = await read(stack, session.id);
    expect(seen.json().decision.outcome).toBe("pending");
    const answer = waiting(session.id, LONG_WAIT, "acme", { "if-none-match": seen.headers.etag as string });
    const completed = await complete(stack, session.id, digest!);
    expect(completed.statusCode, completed.body).toBe(200);
    expect((await answer).json().decision.outcome).toBe("approved");
  });
});

describe("what the caller holds", () => {
  it("when nothing changes, then the wait runs its time and answers the same view: 304 with the same ETag when it was sent", async () => {
    const session = await create(stack);
    const plain = await read(stack, session.id, "?waitSeconds=1");
    expect(plain.statusCode).toBe(200);
    const etag = plain.headers.etag as string;
    const again = await read(stack, session.id, "?waitSeconds=1");
    expect(again.statusCode).toBe(200);
    expect(again.headers.etag).toBe(etag);
    const conditional = await read(stack, session.id, "?waitSeconds=1", "acme", { "if-none-match": etag });
    expect(conditional.statusCode).toBe(304);
    expect(conditional.headers.etag).toBe(etag);
  });

  it("when the caller's ETag is older than the session, then it is answered the current view at once, without a Face read", EARLY, async () => {
    const session = await create(stack, {}, "globex");
    const old = await read(stack, session.id, "", "globex");
    await device(stack, session, { livenessDecision: "uncertain" });
    await read(stack, session.id, "", "globex");
    const readsBefore = faceReads(stack);
    const res = await read(stack, session.id, LONG_WAIT, "globex", { "if-none-match": old.headers.etag as string });
    expect(res.statusCode).toBe(200);
    expect(res.json().decision.outcome).toBe("retry");
    expect(faceReads(stack)).toBe(readsBefore);
  });

  it("when no ETag is sent, then the view as the wait begins is what the caller holds: an earlier change does not end it", async () => {
    const session = await create(stack);
    await device(stack, session, { start: true });
    const current = await read(stack, session.id);
    expect(current.json().status).toBe("running");
    const readsBefore = faceReads(stack);
    const res = await read(stack, session.id, "?waitSeconds=2");
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe(current.headers.etag);
    // It waited: its loop read Face while it did (a caller answered at once costs no read).
    expect(faceReads(stack)).toBeGreaterThan(readsBefore);
  });

  it("when the ETag comes from a read that only moved checkedAt, then it still names the caller's view and the wait runs", async () => {
    const session = await create(stack);
    // The first read stores Face's view; the second, later, finds nothing new and only answers a later checkedAt.
    await read(stack, session.id);
    stack.clock.advance(5000);
    const plain = await read(stack, session.id);
    expect(plain.json().checkedAt).not.toBe(new Date((await stack.store.get(session.id))!.lastCheckedAt).toISOString());
    const readsBefore = faceReads(stack);
    const res = await read(stack, session.id, "?waitSeconds=2", "acme", { "if-none-match": plain.headers.etag as string });
    expect(res.json().decision.outcome).toBe("pending");
    expect(faceReads(stack)).toBeGreaterThan(readsBefore);
  });
});
