/**
 * The app's own Prometheus registry. Never prom-client's global one: tests (and the replica tests) build several
 * apps in one process, and each must count only its own traffic. Process metrics (CPU, memory, event-loop lag,
 * GC, handles) come from collectDefaultMetrics into this registry.
 */
import { collectDefaultMetrics, Counter, Registry } from "prom-client";

/**
 * Gauges prom-client names with a `_total` suffix, which Prometheus keeps for counters (`promtool check metrics`
 * refuses them). Their per-type twins (nodejs_active_handles{type}, ...) say the same and stay.
 */
const MISNAMED_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * A counter whose values are read from someone else's running totals at scrape time (the quota guard's stats, Key
 * Vault's refresh counts): reset and set again on every collect, so it always shows the source's totals.
 */
export function mirroredCounter<L extends string>(
  registry: Registry,
  spec: { name: string; help: string; labelNames: readonly L[] },
  read: () => Promise<Iterable<[Partial<Record<L, string>>, number]>> | Iterable<[Partial<Record<L, string>>, number]>,
): Counter<L> {
  return new Counter<L>({
    ...spec,
    registers: [registry],
    async collect() {
      const values = await read();
      this.reset();
      for (const [labels, value] of values) this.inc(labels, value);
    },
  });
}
