/**
 * Readiness as metrics, from the last /readyz (or /startupz) evaluation: never a probe of its own, so scraping costs
 * Face nothing. A Face outage shows here as face="degraded" while lso_ready stays 1.
 */
import { Gauge, type Registry } from "prom-client";

/** The shape metrics need of a readiness report (plugins/health-readiness.ts makes them). */
export interface ReadinessSnapshot {
  ready: boolean;
  checks: Record<string, { status: string }>;
}

export function collectReadinessMetrics(registry: Registry, last: () => ReadinessSnapshot | undefined): void {
  new Gauge({
    name: "lso_ready",
    help: "1 when the last readiness check found this replica ready, 0 when not; NaN before the first check.",
    registers: [registry],
    collect() {
      const report = last();
      this.set(report ? Number(report.ready) : Number.NaN);
    },
  });
  new Gauge({
    name: "lso_readiness_check",
    help: "1 for each readiness check's current status (face: up, degraded or down; state: up or down; credentials: up or stale; shutdown: running or draining).",
    labelNames: ["check", "status"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [check, { status }] of Object.entries(last()?.checks ?? {})) this.set({ check, status }, 1);
    },
  });
}
