/**
 * What the events routes do: show a session's deliveries to the client that owns it, and start a redelivery.
 * Ownership is read from the deliveries themselves (they outlive the session record, which cleanup may delete
 * once the webhook is delivered), falling back to the session record for a session with nothing sent yet.
 */
import { AppError } from "../errors.js";
import type { SessionStore } from "../state/session-store.js";
import type { WebhookDelivery, WebhookOutbox } from "../state/webhook-outbox.js";
import { webhookEventSchema, type WebhookDeliveryView } from "./webhook-schemas.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function toDeliveryView(d: WebhookDelivery): WebhookDeliveryView {
  return {
    webhookId: d.webhookId,
    type: d.type,
    state: d.state,
    createdAt: iso(d.createdAt),
    nextAttemptAt: d.state === "pending" && d.dueAt !== undefined ? iso(d.dueAt) : null,
    attempts: d.attempts.map((a) => ({
      attempt: a.attempt,
      series: a.series,
      at: iso(a.at),
      ...(a.statusCode !== undefined && { statusCode: a.statusCode }),
      ...(a.error !== undefined && { error: a.error }),
      ...(a.nextAttemptAt !== undefined && { nextAttemptAt: iso(a.nextAttemptAt) }),
      final: a.final,
    })),
    attemptCount: d.attemptCount ?? d.attempts.length,
    firstAttemptAt: d.firstAttemptAt !== undefined ? iso(d.firstAttemptAt) : (d.attempts[0] && iso(d.attempts[0].at)) ?? null,
    event: webhookEventSchema.parse(JSON.parse(d.body)),
  };
}

export class WebhookDeliveries {
  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly store: SessionStore,
    private readonly onQueued: () => void,
  ) {}

  /** Another client's session and an unknown one look the same: 404. */
  async list(sessionId: string, clientId: string): Promise<WebhookDelivery[]> {
    const deliveries = (await this.outbox.listBySession(sessionId)).filter((d) => d.clientId === clientId);
    if (deliveries.length) return deliveries;
    const record = await this.store.get(sessionId);
    if (!record || record.clientId !== clientId) throw new AppError("LSO_ERR_SESSION_NOT_FOUND");
    return [];
  }

  /** A new series for the latest event: same Webhook-Id and body, attempt numbers continue, a fresh 24-hour window. */
  async redeliver(sessionId: string, clientId: string): Promise<WebhookDelivery> {
    const latest = (await this.list(sessionId, clientId)).at(-1);
    if (!latest) throw new AppError("LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER");
    const result = await this.outbox.restart(latest.webhookId);
    if (result.outcome === "pending") throw new AppError("LSO_ERR_WEBHOOK_DELIVERY_PENDING");
    if (result.outcome === "missing") throw new AppError("LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER");
    this.onQueued();
    return result.delivery;
  }
}
