/**
 * The outbox: every webhook delivery is written here before the first attempt, so a crash or restart loses none
 * (at-least-once: an attempt under way when the process died is sent again once its lease lapses). Shaped for
 * Redis: a hash per delivery, a sorted set of due times, a set per session, and claims as a Lua script that moves
 * the due score forward by the lease, so two instances never send the same attempt at once. Finished deliveries
 * stay readable for OUTBOX_RETENTION_MS.
 *
 * Claims are fair per client (the tenant whose session it is): due deliveries wait in one queue per client, a claim
 * serves the clients round-robin (least recently served first), and a client with maxInFlightPerClient attempts
 * under way gets no more until one ends or its lease lapses. Per client rather than per target host, because the
 * host is the tenant's to choose (a wildcard DNS name gives it as many hosts as it likes), while clients are the
 * operator's API keys: a bounded set that a tenant cannot multiply.
 */
export type DeliveryState = "pending" | "delivered" | "failed";

/** How long a finished delivery stays readable at GET /v1/sessions/{id}/events. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * How many attempts a delivery keeps (the latest); older ones are dropped and only counted. A receiver failing for
 * days across redeliveries must not grow a record (and the events answer) without end. Above the backoff's 10 steps
 * to its 1-hour cap, so counting a series' kept attempts still picks the right backoff step.
 */
export const MAX_KEPT_ATTEMPTS = 20;

export interface DeliveryAttempt {
  /** The Webhook-Attempt number; it keeps counting across series, so (webhookId, attempt) is unique. */
  attempt: number;
  series: number;
  /** epoch ms */
  at: number;
  statusCode?: number;
  error?: string;
  nextAttemptAt?: number;
  final: boolean;
}

export interface WebhookDelivery {
  /** Also the event id and the Webhook-Id header: stable across retries and redeliveries. */
  webhookId: string;
  sessionId: string;
  clientId: string;
  type: "session.decided";
  /** The full callback URL. Its query may hold the receiver's own token: log loggableUrl(url) only. */
  url: string;
  /** The exact JSON body: signed as is, and byte-identical on every attempt. */
  body: string;
  createdAt: number;
  state: DeliveryState;
  /** 1, then +1 per redelivery. */
  series: number;
  /** Start of the current series: its retry window ends 24 hours later. */
  seriesStartedAt: number;
  /** When the next attempt is due; only while pending. */
  dueAt?: number;
  /** The highest attempt number handed out by a claim (a claim reserves its number before anything is sent). */
  lastAttempt: number;
  /** Oldest first; the latest MAX_KEPT_ATTEMPTS only. */
  attempts: DeliveryAttempt[];
  /** Every attempt recorded, kept or dropped; absent before the first. */
  attemptCount?: number;
  /** When the first recorded attempt was made (epoch ms); absent before it. */
  firstAttemptAt?: number;
  updatedAt: number;
}

/** What identifies a delivery and what it carries; the rest of a new one is its first series, due now. */
export type NewDelivery = Pick<WebhookDelivery, "webhookId" | "sessionId" | "clientId" | "type" | "url" | "body">;

/** A delivery as it enters the outbox: pending, due at once, in its first series, with no attempt yet. */
export function pendingDelivery(fields: NewDelivery, now: number): WebhookDelivery {
  return { ...fields, createdAt: now, state: "pending", series: 1, seriesStartedAt: now, dueAt: now, lastAttempt: 0, attempts: [], updatedAt: now };
}

export interface DeliveryClaim {
  delivery: WebhookDelivery;
  attempt: number;
  /** Proves ownership when the result is recorded; a result under a lapsed lease is dropped. */
  lease: string;
}

export interface AttemptResult {
  attempt: DeliveryAttempt;
  state: DeliveryState;
  dueAt?: number;
}

/** The outbox's backlog, for metrics: cheap (Redis: three reads of the due index), never a scan of deliveries. */
export interface OutboxStats {
  /** Deliveries not yet delivered or failed for good: waiting for their due time, due, or under an attempt now. */
  pending: number;
  /** Of those, the ones whose time has come and that no attempt holds yet: the worker's backlog. */
  due: number;
  /** The earliest due time among pending deliveries (epoch ms); absent when none is pending. */
  earliestDueAt?: number;
}

export interface ClaimOptions {
  /**
   * The most attempts one client may have under way at once, counted over everyone sharing the outbox (on Redis,
   * every replica): a claim whose lease lapsed no longer counts. Unbounded when absent.
   */
  maxInFlightPerClient?: number;
}

export type RestartResult = { outcome: "restarted"; delivery: WebhookDelivery } | { outcome: "pending" } | { outcome: "missing" };

export interface WebhookOutbox {
  /** Adds a delivery unless one with its webhookId exists (Redis: HSETNX), so a repeated event is sent once. */
  add(delivery: WebhookDelivery): Promise<boolean>;
  /**
   * Up to `limit` pending deliveries due now: one per client in turn, least recently served client first, each
   * client's oldest due first, skipping clients at their in-flight cap. Each is leased until now + leaseMs: its due
   * time moves there and a fresh lease token is handed out, so if this instance dies mid-attempt another one sends
   * it again after the lease, and the first one's late result is refused (fencing).
   */
  claimDue(limit: number, leaseMs: number, options?: ClaimOptions): Promise<DeliveryClaim[]>;
  /** Records an attempt and the state it leads to; false (and nothing changes) when the lease is no longer ours. */
  record(webhookId: string, lease: string, result: AttemptResult): Promise<boolean>;
  /** Starts a new series for a delivered or failed delivery (redelivery), due now; refuses a pending one. */
  restart(webhookId: string): Promise<RestartResult>;
  /**
   * Forgets every delivery of a session, pending ones included (erasure: their bodies name the subject), so none is
   * sent again. How many were still pending.
   */
  deleteBySession(sessionId: string): Promise<number>;
  /** Oldest first. */
  listBySession(sessionId: string): Promise<WebhookDelivery[]>;
  /** The backlog as of the store's clock; an attempt under way counts as pending, not due (its lease moved it). */
  stats(): Promise<OutboxStats>;
}
