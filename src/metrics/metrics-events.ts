/**
 * Metrics heard on the session event bus: sessions created, decisions settled and webhook attempts, each by a label
 * from a closed set (kind, outcome, result). Never the session id, the subject, the client or the target URL.
 */
import { Counter, type Registry } from "prom-client";
import type { SessionEvents } from "../state/session-events.js";
import { CellCounter, type CounterCell } from "./metrics-cells.js";

export function subscribeEventMetrics(registry: Registry, events: SessionEvents): void {
  // Counted on every create: through a cell per kind (metrics-cells.ts), bound on the kind's first create.
  const created = new CellCounter({
    name: "lso_sessions_created_total",
    help: "Sessions created at Face, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const createdCells = new Map<string, CounterCell>();
  const countCreated = (kind: string) => {
    let cell = createdCells.get(kind);
    if (!cell) createdCells.set(kind, (cell = created.cell({ kind })));
    cell.inc();
  };
  const decisions = new Counter({
    name: "lso_decisions_total",
    help: "Decisions settled, by outcome (approved, declined, retry, review, expired, abandoned).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: "lso_webhook_attempts_total",
    help: "Webhook delivery attempts recorded, by result: delivered, retrying (failed, another attempt is due) or failed (for good).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  events.subscribe(
    (event) => {
      if (event.type === "created") countCreated(event.kind);
      else if (event.type === "decided") decisions.inc({ outcome: event.decision.outcome });
      else if (event.type === "webhookDelivered") webhooks.inc({ result: "delivered" });
      else if (event.type === "webhookFailed") webhooks.inc({ result: event.final ? "failed" : "retrying" });
    },
    // Not called for the rest (a create's tokenIssued among them).
    ["created", "decided", "webhookDelivered", "webhookFailed"],
  );
}
