/**
 * The background loops (the session loop, the webhook worker): runs by result, their duration, and how long since
 * the last one finished, the lag that grows when a loop is stuck or stopped. Plus the long-polls waiting now.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RunObserver } from "../lib/periodic-task.js";

export type LoopName = "sessions" | "webhooks";

export interface LoopMetrics {
  observer(loop: LoopName): RunObserver;
  /** Reads the long-poll counts at every scrape. */
  collectLongPolls(counts: () => { waiters: number; sessions: number }): void;
}

export function loopMetrics(registry: Registry, now: () => number = Date.now): LoopMetrics {
  const runs = new Counter({
    name: "lso_background_runs_total",
    help: "Runs of a background loop (sessions: watcher, lapse settles, Face deletions, image expiry; webhooks: the delivery worker), by result.",
    labelNames: ["loop", "result"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "lso_background_run_duration_seconds",
    help: "Duration of a background loop's run.",
    labelNames: ["loop"] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [registry],
  });
  // Counted from creation: a loop that never completes a run shows a growing lag, not a missing series.
  const created = now();
  const lastRun: Record<LoopName, number> = { sessions: created, webhooks: created };
  new Gauge({
    name: "lso_background_last_run_age_seconds",
    help: "Seconds since a background loop last finished a run (its lag); it grows when the loop is stuck or stopped.",
    labelNames: ["loop"] as const,
    registers: [registry],
    collect() {
      const at = now();
      for (const loop of Object.keys(lastRun) as LoopName[]) this.set({ loop }, Math.max(0, (at - lastRun[loop]) / 1000));
    },
  });
  return {
    observer: (loop) => (durationMs, failed) => {
      runs.inc({ loop, result: failed ? "failed" : "ok" });
      duration.observe({ loop }, durationMs / 1000);
      lastRun[loop] = now();
    },
    collectLongPolls: (counts) => {
      new Gauge({
        name: "lso_long_poll_waiters",
        help: "Requests waiting in a long-poll (GET /v1/sessions/{id}?waitSeconds=N) now.",
        registers: [registry],
        collect() {
          this.set(counts().waiters);
        },
      });
      new Gauge({
        name: "lso_long_poll_sessions",
        help: "Sessions with at least one long-poll waiting (each has one shared poll loop).",
        registers: [registry],
        collect() {
          this.set(counts().sessions);
        },
      });
    },
  };
}
