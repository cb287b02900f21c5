/** Cells bound once per label set: the exposition must be prom-client's own, line for line, for the same observations. */
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CellCounter, CellHistogram } from "../../src/metrics/metrics-cells.js";

const labelNames = ["method", "route", "status_class"] as const;
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const spec = (registry: Registry) => ({ labelNames, registers: [registry] });
const observations: Array<[{ method: string; route: string; status_class: string }, number]> = [
  [{ method: "GET", route: "/v1/sessions/:id", status_class: "2xx" }, 0.0031],
  [{ method: "POST", route: "/v1/sessions", status_class: "2xx" }, 0.02],
  [{ method: "GET", route: "/v1/sessions/:id", status_class: "2xx" }, 0.1],
  [{ method: "GET", route: "unmatched", status_class: "4xx" }, 3],
  [{ method: "GET", route: "/v1/sessions/:id", status_class: "2xx" }, 0.005],
  [{ method: "POST", route: "/v1/sessions", status_class: "5xx" }, 0.7],
];

function both() {
  const reference = new Registry();
  const cells = new Registry();
  const refCounter = new Counter({ name: "t_requests_total", help: "Requests.", ...spec(reference) });
  const refHistogram = new Histogram({ name: "t_duration_seconds", help: "Duration.", buckets, ...spec(reference) });
  const counter = new CellCounter({ name: "t_requests_total", help: "Requests.", ...spec(cells) });
  const histogram = new CellHistogram({ name: "t_duration_seconds", help: "Duration.", buckets, ...spec(cells) });
  const bound = new Map<string, { inc(): void; observe(v: number): void }>();
  const observe = ([labels, value]: (typeof observations)[number]) => {
    refCounter.inc(labels);
    refHistogram.observe(labels, value);
    const key = JSON.stringify(labels);
    if (!bound.has(key)) {
      const c = counter.cell(labels);
      const h = histogram.cell(labels);
      bound.set(key, { inc: () => c.inc(), observe: (v) => h.observe(v) });
    }
    bound.get(key)!.inc();
    bound.get(key)!.observe(value);
  };
  return { reference, cells, observe, bindOnly: () => counter.cell({ method: "DELETE", route: "/x", status_class: "2xx" }) };
}

describe("CellCounter and CellHistogram", () => {
  it("when the same observations are made, then the text exposition and the JSON equal prom-client's", async () => {
    const { reference, cells, observe } = both();
    observations.forEach(observe);
    const text = await cells.metrics();
    expect(text).toContain('t_duration_seconds_bucket{le="0.005",method="GET",route="/v1/sessions/:id",status_class="2xx"} 2');
    expect(text).toBe(await reference.metrics());
    expect(await cells.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
  });

  it("when a cell is bound but never counted, then its label set is not listed, as with prom-client", async () => {
    const { reference, cells, observe, bindOnly } = both();
    bindOnly();
    observe(observations[0]!);
    expect(await cells.metrics()).not.toContain("DELETE");
    expect(await cells.metrics()).toBe(await reference.metrics());
  });

  it("when the registry is reset, then both list nothing, and later counts start from zero", async () => {
    const { reference, cells, observe } = both();
    observations.forEach(observe);
    reference.resetMetrics();
    cells.resetMetrics();
    expect(await cells.metrics()).toBe(await reference.metrics());
    observe(observations[1]!);
    expect(await cells.metrics()).toBe(await reference.metrics());
  });
});
