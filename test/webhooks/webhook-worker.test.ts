/**
 * The worker's limits: bounded concurrency per instance, one sender per attempt across instances, a late result under
 * a lapsed lease dropped, and a free slot that a slow attempt does not hold back.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import type { SessionEvent } from "../../src/state/session-events.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { LEASE_MARGIN_MS } from "../../src/webhooks/webhook-worker.js";
import { startWebhookStack, type WebhookStack } from "./webhook-kit.js";

const decided = (sessionId: string, at: number): SessionEvent => ({
  type: "decided",
  sessionId,
  clientId: "acme",
  at,
  actor: "system",
  digestCheck: "match",
  decision: { outcome: "approved", reasons: [], decidedAt: null },
});
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 20 });

const stacks: WebhookStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

describe("webhook worker", () => {
  it("when five sessions settle at once with WEBHOOK_CONCURRENCY=2, then at most two attempts are in flight and all five arrive", async () => {
    const stack = await startWebhookStack({ WEBHOOK_CONCURRENCY: "2" });
    stacks.push(stack);
    stack.receiver.replyWith(...Array.from({ length: 5 }, () => ({ status: 200, delayMs: 40 })));
    const sessions = await Promise.all(Array.from({ length: 5 }, () => stack.createWithCallback()));
    for (const { id } of sessions) stack.bus.emit({ type: "decided", sessionId: id, clientId: "acme", at: stack.clock.now(), actor: "system", digestCheck: "match", decision: { outcome: "approved", reasons: [], decidedAt: null } });
    await stack.advance(0);
    expect(stack.receiver.received).toHaveLength(5);
    expect(stack.receiver.maxInFlight).toBe(2);
  });

  it("when two instances share one outbox and both run what is due, then the attempt is sent once", async () => {
    // Two replicas: one state, one clock.
    const clock = new ManualClock(Date.now());
    const state = createMemoryState(clock);
    const outbox = state.outbox;
    const a = await startWebhookStack({}, { state, clock });
    const b = await startWebhookStack({}, { state, clock });
    stacks.push(a, b);
    const { id } = await a.createWithCallback();
    a.bus.emit({ type: "decided", sessionId: id, clientId: "acme", at: a.clock.now(), actor: "system", digestCheck: "match", decision: { outcome: "approved", reasons: [], decidedAt: null } });
    await a.bus.drain();
    await Promise.all([a.app.webhooks.runDue(), b.app.webhooks.runDue(), b.app.webhooks.runDue()]);
    expect(a.receiver.received).toHaveLength(1);
    expect((await outbox.listBySession(id))[0]).toMatchObject({ state: "delivered", lastAttempt: 1 });
  });

  it("when an instance's attempt outlives its lease and another took the delivery over, then the late result is dropped and the other's stands", async () => {
    const clock = new ManualClock(Date.now());
    const state = createMemoryState(clock);
    // One slot: while its attempt hangs, A claims nothing else, so B is the one that takes the delivery over.
    const a = await startWebhookStack({ WEBHOOK_CONCURRENCY: "1" }, { state, clock });
    const b = await startWebhookStack({}, { state, clock });
    stacks.push(a, b);
    let answerA!: () => void;
    a.receiver.replyWith({ status: 503, until: new Promise<void>((resolve) => (answerA = resolve)) });
    const { id } = await a.createWithCallback();
    a.bus.emit(decided(id, clock.now()));
    await a.bus.drain();
    await eventually(() => expect(a.receiver.received).toHaveLength(1));

    // A's lease lapses (the attempt's timeout, 10 s, and the margin): B sends the delivery as attempt 2.
    clock.advance(10_000 + LEASE_MARGIN_MS);
    await b.app.webhooks.runDue();
    expect(a.receiver.received.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2"]);
    // A's receiver answers at last (503): A may not record it over B's delivery.
    answerA();
    await a.app.webhooks.runDue();
    await a.bus.drain();
    expect((await state.outbox.listBySession(id))[0]).toMatchObject({ state: "delivered", attempts: [{ attempt: 2, statusCode: 200 }] });
    expect(a.seen.filter((e) => e.type === "webhookFailed")).toEqual([]);
    expect(b.seen.filter((e) => e.type === "webhookDelivered")).toMatchObject([{ sessionId: id, attempt: 2 }]);
  });

  it("when one attempt hangs, then a delivery that comes due meanwhile is sent without waiting for it", async () => {
    const stack = await startWebhookStack();
    stacks.push(stack);
    let answer!: () => void;
    stack.receiver.replyWith({ status: 200, until: new Promise<void>((resolve) => (answer = resolve)) });
    const slow = await stack.createWithCallback();
    stack.bus.emit(decided(slow.id, stack.clock.now()));
    await stack.bus.drain();
    await eventually(() => expect(stack.receiver.received).toHaveLength(1));
    const next = await stack.createWithCallback();
    stack.bus.emit(decided(next.id, stack.clock.now()));
    await stack.bus.drain();
    // Sent within a poll of the worker, while the first attempt is still waiting for its answer.
    await eventually(() => expect(stack.receiver.received).toHaveLength(2));
    expect(stack.receiver.received.map((r) => (r.json.data as { sessionId: string }).sessionId)).toEqual([slow.id, next.id]);
    answer();
    await stack.app.webhooks.runDue();
    expect(stack.seen.filter((e) => e.type === "webhookDelivered").map((e) => e.sessionId)).toEqual(expect.arrayContaining([slow.id, next.id]));
  });
});
