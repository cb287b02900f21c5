/**
 * The in-process outbox: right for one instance and for tests (a restart forgets it; use a shared store for
 * at-least-once across restarts). Every read and write is synchronous between awaits, which is what makes claims
 * and lease checks atomic here. Finished deliveries are forgotten after RETENTION_MS.
 */
import { randomUUID } from "node:crypto";
import type { AttemptResult, DeliveryClaim, RestartResult, WebhookDelivery, WebhookOutbox } from "./webhook-outbox.js";

/** How long a finished delivery stays readable at GET /v1/sessions/{id}/events. */
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

interface Entry {
  delivery: WebhookDelivery;
  lease?: string;
}

const copy = (d: WebhookDelivery): WebhookDelivery => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) });

export class MemoryWebhookOutbox implements WebhookOutbox {
  private readonly entries = new Map<string, Entry>();

  async add(delivery: WebhookDelivery): Promise<boolean> {
    if (this.entries.has(delivery.webhookId)) return false;
    this.entries.set(delivery.webhookId, { delivery: copy(delivery) });
    return true;
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<DeliveryClaim[]> {
    this.forgetOld(now);
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

  async record(webhookId: string, lease: string, result: AttemptResult, now: number): Promise<boolean> {
    const entry = this.entries.get(webhookId);
    if (!entry || entry.lease !== lease) return false;
    const d = entry.delivery;
    d.attempts.push({ ...result.attempt });
    d.state = result.state;
    d.updatedAt = now;
    if (result.dueAt === undefined) delete d.dueAt;
    else d.dueAt = result.dueAt;
    delete entry.lease;
    return true;
  }

  async restart(webhookId: string, now: number): Promise<RestartResult> {
    const entry = this.entries.get(webhookId);
    if (!entry) return { outcome: "missing" };
    const d = entry.delivery;
    if (d.state === "pending") return { outcome: "pending" };
    Object.assign(d, { state: "pending", series: d.series + 1, seriesStartedAt: now, dueAt: now, updatedAt: now });
    return { outcome: "restarted", delivery: copy(d) };
  }

  async listBySession(sessionId: string): Promise<WebhookDelivery[]> {
    return [...this.entries.values()]
      .map((e) => e.delivery)
      .filter((d) => d.sessionId === sessionId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private forgetOld(now: number): void {
    for (const [id, { delivery }] of this.entries) {
      if (delivery.state !== "pending" && delivery.updatedAt + RETENTION_MS <= now) this.entries.delete(id);
    }
  }
}
