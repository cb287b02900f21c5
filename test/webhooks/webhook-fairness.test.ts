/**
 * One tenant's hanging receiver must not hold another tenant's webhook: over both state backends, a client with a
 * backlog of 100 deliveries to a receiver that never answers, and another client's one delivery to a healthy
 * receiver. Proven by order and counting at the receivers, never by the clock: the healthy delivery arrives while
 * the hanging backlog is still being worked through, and the hanging receiver never holds more requests at once
 * than WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { pendingDelivery, type WebhookOutbox } from "../../src/state/webhook-outbox.js";
import { backends } from "../helpers/state-backends.js";
import { startWebhookStack, type WebhookStack } from "./webhook-kit.js";
import { WebhookReceiver } from "./webhook-receiver.js";

const BACKLOG = 100;
const CAP = 2;

/** Waits (boundedly, on real time) until `check` holds; background attempts run on real timers. */
async function until(check: () => boolean, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(check()).toBe(true);
}

/** A backlog as the dispatcher writes it, straight into the outbox: 100 sessions through Face would spend its quota. */
async function addBacklog(outbox: WebhookOutbox, now: number, url: string): Promise<void> {
  for (let n = 0; n < BACKLOG; n += 1) {
    await outbox.add(pendingDelivery({
      webhookId: `evt_hang_${n}`,
      sessionId: `hang-${n}`,
      clientId: "acme",
      type: "session.decided",
      url,
      body: JSON.stringify({ id: `evt_hang_${n}` }),
    }, now));
  }
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe.each(backends)("webhook fairness ($name)", (backend) => {
  it("when one client's receiver hangs on 100 deliveries, then another client's webhook arrives before that backlog is worked through, and the hanging receiver never holds more than the cap", async () => {
    const hanging = await new WebhookReceiver().start();
    closers.push(() => hanging.close());
    hanging.replyWith(...Array.from({ length: BACKLOG * 2 }, () => ({ status: 200, hang: true })));
    const clock = new ManualClock(Date.now());
    const state = await backend.create(clock);
    const stack: WebhookStack = await startWebhookStack(
      { WEBHOOK_TIMEOUT_MS: "200", WEBHOOK_CONCURRENCY: "8", WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT: String(CAP) },
      { state, clock },
    );

    await addBacklog(state.outbox, clock.now(), hanging.url());
    const pass = stack.app.webhooks.runDue();
    // Stopping the worker ends the pass once the attempts under way time out, rather than after the whole backlog.
    closers.push(async () => {
      await stack.close();
      await pass;
    });
    await until(() => hanging.received.length >= CAP);

    // The healthy tenant's session settles while the hanging one holds its slots, due after the whole backlog.
    clock.advance(1);
    let hangingSeenWhenHealthyArrived: number | undefined;
    stack.receiver.onReceived = () => (hangingSeenWhenHealthyArrived = hanging.received.length);
    const healthy = await stack.createWithCallback(stack.receiver.url(), "globex");
    stack.bus.emit({ type: "decided", sessionId: healthy.id, clientId: "globex", at: clock.now(), actor: "system", digestCheck: "match", decision: { outcome: "approved", reasons: [], decidedAt: null } });
    await stack.bus.drain();
    await until(() => stack.receiver.received.length === 1);

    expect(stack.receiver.received[0]!.json).toMatchObject({ type: "session.decided", data: { sessionId: healthy.id } });
    expect(hangingSeenWhenHealthyArrived).toBeLessThan(BACKLOG);
    // Let the hanging attempts time out and be replaced a few times: the cap holds round after round.
    await until(() => hanging.received.length >= 4 * CAP);
    expect(hanging.maxInFlight).toBe(CAP);
  });

  it("when every slot a client may hold waits on its receiver, then another client's new event is sent at once, not after those attempts end", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = await new WebhookReceiver().start();
    closers.push(() => slow.close());
    slow.replyWith(...Array.from({ length: BACKLOG }, () => ({ status: 200, until: held })));
    const clock = new ManualClock(Date.now());
    const state = await backend.create(clock);
    const stack = await startWebhookStack({ WEBHOOK_TIMEOUT_MS: "10000", WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT: String(CAP) }, { state, clock });
    await addBacklog(state.outbox, clock.now(), slow.url());
    const pass = stack.app.webhooks.runDue();
    closers.push(async () => {
      release();
      await stack.close();
      await pass;
    });
    await until(() => slow.received.length === CAP);

    clock.advance(1);
    const healthy = await stack.createWithCallback(stack.receiver.url(), "globex");
    stack.bus.emit({ type: "decided", sessionId: healthy.id, clientId: "globex", at: clock.now(), actor: "system", digestCheck: "match", decision: { outcome: "approved", reasons: [], decidedAt: null } });
    await stack.bus.drain();
    // The pass under way was woken: the held attempts have not ended, yet the healthy webhook is in.
    await until(() => stack.receiver.received.length === 1);
    expect(slow.received).toHaveLength(CAP);
  });
});
