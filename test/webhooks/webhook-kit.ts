/**
 * The API with webhooks on, a ManualClock, a bus the test can emit on and drain, and a local receiver. The decided
 * event is emitted by hand where a test focuses on the worker; the session itself is always created over HTTP.
 */
import type { AppOverrides } from "../../src/app.js";
import type { EnvInput } from "../../src/config.js";
import { ManualClock } from "../../src/lib/clock.js";
import { SessionEventBus, type SessionEvent } from "../../src/state/session-events.js";
import type { DecisionOutcome } from "../../src/state/session-record.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { WebhookReceiver } from "./webhook-receiver.js";

/** Standard Webhooks secrets: whsec_ + base64 of the key (here 33 readable bytes, so a test can look for them too). */
export const SECRET_NEW = "whsec_dGVzdC13ZWJob29rLWtleS1ORVctMDEyMzQ1Njc4OWFi";
export const SECRET_OLD = "whsec_dGVzdC13ZWJob29rLWtleS1PTEQtYmE5ODc2NTQzMjEw";

export interface WebhookStack extends TestStack {
  clock: ManualClock;
  bus: SessionEventBus;
  receiver: WebhookReceiver;
  /** Every session event, in emission order. */
  seen: SessionEvent[];
  /** Errors thrown by any listener (the dispatcher included); a test expects none. */
  listenerErrors: unknown[];
  createWithCallback(callbackUrl?: string, client?: "acme" | "globex"): Promise<{ id: string; authToken: string }>;
  /** Emits a decided event for the session and waits until its delivery (if any) has been attempted. */
  decide(sessionId: string, outcome?: DecisionOutcome, client?: "acme" | "globex"): Promise<void>;
  /** Moves the clock and runs what became due. */
  advance(ms: number): Promise<void>;
}

export async function startWebhookStack(env: EnvInput = {}, overrides: AppOverrides = {}): Promise<WebhookStack> {
  const clock = new ManualClock(Date.now());
  const listenerErrors: unknown[] = [];
  const bus = new SessionEventBus((error) => listenerErrors.push(error));
  const seen: SessionEvent[] = [];
  bus.subscribe((event) => {
    seen.push(event);
  });
  const receiver = await new WebhookReceiver().start();
  const stack = await startStack({ WEBHOOK_SECRET: SECRET_NEW, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", ...env }, { clock, events: bus, ...overrides });
  const settle = async () => {
    await bus.drain();
    await stack.app.webhooks.runDue();
    await bus.drain();
  };
  return {
    ...stack,
    clock,
    bus,
    receiver,
    seen,
    listenerErrors,
    async createWithCallback(callbackUrl = receiver.url(), client = "acme") {
      const res = await createSession(stack.app, { kind: "liveness", subject: "user-7", callbackUrl }, client);
      if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async decide(sessionId, outcome = "approved", client = "acme") {
      const decidedAt = new Date(clock.now()).toISOString();
      bus.emit({ type: "decided", sessionId, clientId: client, at: clock.now(), actor: "system", digestCheck: "match", decision: { outcome, reasons: [], decidedAt } });
      await settle();
    },
    async advance(ms) {
      clock.advance(ms);
      await settle();
    },
    close: async () => {
      await stack.close();
      await receiver.close();
    },
  };
}

export const eventsOf = (stack: WebhookStack, sessionId: string, client: "acme" | "globex" = "acme") =>
  stack.app.inject({ method: "GET", url: `/v1/sessions/${sessionId}/events`, headers: auth(client) });

export const redeliver = (stack: WebhookStack, sessionId: string, client: "acme" | "globex" = "acme") =>
  stack.app.inject({ method: "POST", url: `/v1/sessions/${sessionId}/events/redeliver`, headers: auth(client) });
