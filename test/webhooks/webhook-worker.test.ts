/** The worker's limits: bounded concurrency per instance, and one sender per attempt across instances. */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { startWebhookStack, type WebhookStack } from "./webhook-kit.js";

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
});
