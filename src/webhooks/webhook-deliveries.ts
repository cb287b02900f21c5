/**
 * What the events routes do: show a session's deliveries to the client that owns it, and start a redelivery.
 * Ownership is read from the deliveries themselves (they outlive the session record, which cleanup may delete
 * once the webhook is delivered), falling back to the session record for a session with nothing sent yet.
 */
import { AppError } from "../errors.js";
import { decodeListCursor, encodeListCursor, type ListPosition } from "../lib/list-cursor.js";
import type { SessionStore } from "../state/session-store.js";
import type { WebhookDelivery, WebhookOutbox } from "../state/webhook-outbox.js";
import { webhookEventSchema, type SessionEventsQuery, type WebhookDeliveryView } from "./webhook-schemas.js";

export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  nextCursor: string | null;
}

/** A cursor names its session: replayed on another session's events, it is refused rather than misread. */
const cursorScope = (sessionId: string) => `events:${sessionId}`;

function decodeEventsCursor(cursor: string, sessionId: string): ListPosition {
  const position = decodeListCursor(cursor, cursorScope(sessionId));
  if (typeof position === "object") return position;
  const message = position === "other-scope" ? "was issued for another session's events; start without a cursor" : "is not a cursor this API issued";
  throw new AppError("LSO_ERR_VALIDATION", { fields: [{ path: "querystring.cursor", message }] });
}

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

  /**
   * One page, oldest first. Deliveries are only ever appended to a session's list, so a page resumes after the
   * cursor's delivery; should that one be gone, after its creation time.
   */
  async page(sessionId: string, clientId: string, query: SessionEventsQuery): Promise<DeliveryPage> {
    const after = query.cursor === undefined ? undefined : decodeEventsCursor(query.cursor, sessionId);
    const all = await this.list(sessionId, clientId);
    let start = 0;
    if (after) {
      const at = all.findIndex((d) => d.webhookId === after.id);
      start = at >= 0 ? at + 1 : all.filter((d) => d.createdAt <= after.createdAt).length;
    }
    const deliveries = all.slice(start, start + query.limit);
    const last = deliveries.at(-1);
    const more = start + query.limit < all.length && last !== undefined;
    return { deliveries, nextCursor: more ? encodeListCursor({ createdAt: last.createdAt, id: last.webhookId }, cursorScope(sessionId)) : null };
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
