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

export class MemoryWebhookOutbox implements WebhookOutbox {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  async add(delivery: WebhookDelivery): Promise<boolean> {
    if (this.entries.has(delivery.webhookId)) return false;
    this.entries.set(delivery.webhookId, { delivery: copy(delivery) });
    return true;
  }

  async claimDue(limit: number, leaseMs: number): Promise<DeliveryClaim[]> {
    const now = this.clock.now();
    // A linear scan stands in for Redis' ZRANGEBYSCORE; fine for the volumes one instance holds.
    const due = [...this.entries.values()]
      .filter((e) => e.delivery.state === "pending" && (e.delivery.dueAt ?? Infinity) <= now)
      .sort((a, b) => (a.delivery.dueAt ?? 0) - (b.delivery.dueAt ?? 0))
      .slice(0, limit);
    return due.map((entry) => {
      const d = entry.delivery;
      d.lastAttempt += 1;
      d.dueAt = now + leaseMs;
      entry.lease = randomUUID();
      return { delivery: copy(d), attempt: d.lastAttempt, lease: entry.lease };
    });
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
