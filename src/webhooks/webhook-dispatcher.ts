/**
 * Turns a settled decision into an outbox entry: on a `decided` event whose outcome will not change, for a
 * session created with a callbackUrl, it writes the session.decided delivery (before anything is sent) and
 * wakes the worker. The webhook id is derived from the session id, so the same decision seen twice (by two
 * instances, or by a watcher and a long-poll) is one delivery: the outbox's add-if-absent keeps the first.
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import { settledOutcomes } from "../sessions/decision/decision-schemas.js";
import type { SessionEvent } from "../state/session-events.js";
import type { SessionStore } from "../state/session-store.js";
import { pendingDelivery, type WebhookOutbox } from "../state/webhook-outbox.js";
import { webhookEventSchema, type WebhookEvent } from "./webhook-schemas.js";
import { loggableUrl } from "./webhook-url.js";

export const webhookIdFor = (type: WebhookEvent["type"], sessionId: string) =>
  `evt_${createHash("sha256").update(`${type}:${sessionId}`).digest("hex").slice(0, 32)}`;

export interface DispatcherDeps {
  outbox: WebhookOutbox;
  store: SessionStore;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** Called once a delivery is in the outbox. */
  onQueued: () => void;
}

export function createDispatcher(deps: DispatcherDeps): (event: SessionEvent) => Promise<void> {
  return async (event) => {
    if (event.type !== "decided" || !settledOutcomes.has(event.decision.outcome)) return;
    // The record, not the event, says where to call: it is what the caller created, and the only copy of the URL.
    const record = await deps.store.get(event.sessionId);
    if (!record?.callbackUrl || record.clientId !== event.clientId) return;
    const webhookId = webhookIdFor("session.decided", record.id);
    const payload: WebhookEvent = {
      id: webhookId,
      type: "session.decided",
      createdAt: event.decision.decidedAt ?? new Date(event.at).toISOString(),
      data: { sessionId: record.id, kind: record.kind, ...(record.subject !== undefined && { subject: record.subject }), ...(record.consent !== undefined && { consent: record.consent }), decision: event.decision },
    };
    const delivery = {
      webhookId,
      sessionId: record.id,
      clientId: record.clientId,
      type: "session.decided" as const,
      url: record.callbackUrl,
      // Parsed through the schema: an allow-list, so a field added to Decision later never leaks by accident.
      body: JSON.stringify(webhookEventSchema.parse(payload)),
    };
    const added = await deps.outbox.add(pendingDelivery(delivery, deps.clock.now()));
    if (!added) return;
    deps.logger.info({ webhookId, sessionId: record.id, target: loggableUrl(record.callbackUrl), outcome: event.decision.outcome }, "webhook queued");
    deps.onQueued();
  };
}
