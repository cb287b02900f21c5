/**
 * The in-process outbox (a restart forgets it; use a shared backend for at-least-once across restarts). Every read
 * and write is synchronous between awaits, which is what makes claims and lease checks atomic here. Finished
 * deliveries are forgotten OUTBOX_RETENTION_MS after their last change.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../lib/clock.js";
import {
  MAX_KEPT_ATTEMPTS,
  OUTBOX_RETENTION_MS,
  type AttemptResult,
  type ClaimOptions,
  type DeliveryClaim,
  type OutboxStats,
  type RestartResult,
  type WebhookDelivery,
  type WebhookOutbox,
} from "../webhook-outbox.js";

interface Entry {
  delivery: WebhookDelivery;
  lease?: string;
}

const copy = (d: WebhookDelivery): WebhookDelivery => structuredClone(d);

/** One client's share of a claim: its due entries (oldest first) and its attempts under way. */
interface Turn {
  client: string;
  due: Entry[];
  inFlight: number;
}

export class MemoryWebhookOutbox implements WebhookOutbox {
  private readonly entries = new Map<string, Entry>();
  /** Client → the serial of the claim that last served it: the round-robin order (Redis keeps it as a ZSET). */
  private readonly served = new Map<string, number>();
  private serial = 0;

  constructor(private readonly clock: Clock) {}

  async add(delivery: WebhookDelivery): Promise<boolean> {
    if (this.entries.has(delivery.webhookId)) return false;
    this.entries.set(delivery.webhookId, { delivery: copy(delivery) });
    return true;
  }

  async claimDue(limit: number, leaseMs: number, options: ClaimOptions = {}): Promise<DeliveryClaim[]> {
    const now = this.clock.now();
    const cap = options.maxInFlightPerClient ?? Infinity;
    // A linear scan stands in for Redis' per-client queues; fine for the volumes one instance holds.
    const turns = new Map<string, Turn>();
    for (const entry of this.entries.values()) {
      const d = entry.delivery;
      if (d.state !== "pending" || d.dueAt === undefined) continue;
      const turn = turns.get(d.clientId) ?? { client: d.clientId, due: [], inFlight: 0 };
      turns.set(d.clientId, turn);
      // Leased and not lapsed: an attempt under way. Lapsed: due again, and its slot free.
      if (d.dueAt > now) turn.inFlight += entry.lease === undefined ? 0 : 1;
      else turn.due.push(entry);
    }
    for (const client of this.served.keys()) if (!turns.has(client)) this.served.delete(client);
    const dueAt = (e: Entry) => e.delivery.dueAt ?? 0;
    // Ties by id, as a Redis ZSET orders equal scores.
    const earlier = (a: Entry, b: Entry) => dueAt(a) - dueAt(b) || (a.delivery.webhookId < b.delivery.webhookId ? -1 : 1);
    for (const turn of turns.values()) turn.due.sort(earlier);
    const ring = [...turns.values()]
      .filter((t) => t.due.length > 0)
      .sort((a, b) => (this.served.get(a.client) ?? 0) - (this.served.get(b.client) ?? 0) || dueAt(a.due[0]!) - dueAt(b.due[0]!));

    const claims: DeliveryClaim[] = [];
    let progress = true;
    while (claims.length < limit && progress) {
      progress = false;
      for (const turn of ring) {
        if (claims.length >= limit) break;
        const entry = turn.inFlight < cap ? turn.due.shift() : undefined;
        if (!entry) continue;
        turn.inFlight += 1;
        this.served.set(turn.client, ++this.serial);
        claims.push(this.lease(entry, now + leaseMs));
        progress = true;
      }
    }
    return claims;
  }

  private lease(entry: Entry, until: number): DeliveryClaim {
    const d = entry.delivery;
    d.lastAttempt += 1;
    d.dueAt = until;
    entry.lease = randomUUID();
    return { delivery: copy(d), attempt: d.lastAttempt, lease: entry.lease };
  }

  async record(webhookId: string, lease: string, result: AttemptResult): Promise<boolean> {
    const entry = this.entries.get(webhookId);
    if (!entry || entry.lease !== lease) return false;
    const d = entry.delivery;
    d.attempts.push(structuredClone(result.attempt));
    if (d.attempts.length > MAX_KEPT_ATTEMPTS) d.attempts.splice(0, d.attempts.length - MAX_KEPT_ATTEMPTS);
    d.attemptCount = (d.attemptCount ?? 0) + 1;
    d.firstAttemptAt ??= result.attempt.at;
    d.state = result.state;
    d.updatedAt = this.clock.now();
    if (result.dueAt === undefined) delete d.dueAt;
    else d.dueAt = result.dueAt;
    delete entry.lease;
    return true;
  }

  async restart(webhookId: string): Promise<RestartResult> {
    const entry = this.entries.get(webhookId);
    if (!entry) return { outcome: "missing" };
    const d = entry.delivery;
    if (d.state === "pending") return { outcome: "pending" };
    const now = this.clock.now();
    Object.assign(d, { state: "pending", series: d.series + 1, seriesStartedAt: now, dueAt: now, updatedAt: now });
    return { outcome: "restarted", delivery: copy(d) };
  }

  async deleteBySession(sessionId: string): Promise<number> {
    let pending = 0;
    for (const [id, { delivery }] of this.entries) {
      if (delivery.sessionId !== sessionId) continue;
      if (delivery.state === "pending") pending += 1;
      this.entries.delete(id);
    }
    return pending;
  }

  async listBySession(sessionId: string): Promise<WebhookDelivery[]> {
    return [...this.entries.values()]
      .map((e) => e.delivery)
      .filter((d) => d.sessionId === sessionId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }

  async stats(): Promise<OutboxStats> {
    const now = this.clock.now();
    const stats: OutboxStats = { pending: 0, due: 0 };
    for (const { delivery } of this.entries.values()) {
      if (delivery.state !== "pending" || delivery.dueAt === undefined) continue;
      stats.pending += 1;
      if (delivery.dueAt <= now) stats.due += 1;
      if (stats.earliestDueAt === undefined || delivery.dueAt < stats.earliestDueAt) stats.earliestDueAt = delivery.dueAt;
    }
    return stats;
  }

  /** Forgets finished deliveries past their retention; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [id, { delivery }] of this.entries) {
      if (delivery.state !== "pending" && delivery.updatedAt + OUTBOX_RETENTION_MS <= now) {
        this.entries.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}
