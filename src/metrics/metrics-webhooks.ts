/**
 * The webhook outbox's backlog, read at scrape time through WebhookOutbox.stats(): pending deliveries, the ones due
 * now, and how long the longest-waiting due one has waited past its time (the "backlog age": near 0 while the
 * worker keeps up). A scrape that cannot read the outbox (Redis down) reports NaN rather than a stale or a reassuring
 * number, and never fails the scrape: lso_state_errors_total says why.
 */
import { Gauge, type Registry } from "prom-client";
import type { OutboxStats, WebhookOutbox } from "../state/webhook-outbox.js";

/** A scrape waits at most this long for the backlog (Redis queues commands while it reconnects). */
const STATS_TIMEOUT_MS = 1000;

async function statsWithin(outbox: WebhookOutbox, timeoutMs: number): Promise<OutboxStats | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([outbox.stats().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function collectOutboxMetrics(registry: Registry, outbox: WebhookOutbox, now: () => number = Date.now): void {
  // One read per scrape, shared by the three gauges (prom-client collects them one after the other).
  let current: Promise<OutboxStats | undefined> | undefined;
  const read = () => {
    current ??= statsWithin(outbox, STATS_TIMEOUT_MS).finally(() => setImmediate(() => (current = undefined)));
    return current;
  };
  const gauge = (name: string, help: string, value: (stats: OutboxStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const stats = await read();
        this.set(stats ? value(stats) : Number.NaN);
      },
    });
  gauge("lso_webhook_outbox_pending", "Webhook deliveries not yet delivered or failed for good (waiting, due, or under an attempt).", (s) => s.pending);
  gauge("lso_webhook_outbox_due", "Webhook deliveries due now that no attempt holds yet: the worker's backlog.", (s) => s.due);
  gauge(
    "lso_webhook_outbox_oldest_due_age_seconds",
    "How long the longest-waiting due webhook delivery has waited past its due time; 0 when none is overdue.",
    (s) => (s.earliestDueAt === undefined ? 0 : Math.max(0, (now() - s.earliestDueAt) / 1000)),
  );
}
