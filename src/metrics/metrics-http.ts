/**
 * HTTP metrics: requests and their duration by method, route template and status class. The route is the
 * template Fastify matched (`/v1/sessions/:sessionId`), never the URL: a raw path would carry session ids and
 * query strings (and grow without bound); requests no route matched share `unmatched`.
 */
import type { Registry } from "prom-client";
import { CellCounter, CellHistogram, type CounterCell, type HistogramCell } from "./metrics-cells.js";

/** Methods Node's parser accepts are a fixed list, but only these are ours; anything else is `other`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface HttpMetrics {
  observe(request: { method: string; route: string | undefined; statusCode: number; durationMs: number }): void;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ["method", "route", "status_class"] as const;
  const requests = new CellCounter({ name: "lso_http_requests_total", help: "HTTP requests answered, by method, route template and status class.", labelNames, registers: [registry] });
  const duration = new CellHistogram({
    name: "lso_http_request_duration_seconds",
    help: "Time to answer an HTTP request (long-polls included), by method, route template and status class.",
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  type Cells = { requests: CounterCell; duration: HistogramCell };
  // One pair of cells per label set; found by the request's route, status and raw method, so the labels are worked
  // out once per combination. Nested maps, not a key string: building one per request cost more than the lookups
  // (the route template is the route's own string every time, so its hash is computed once). Bounded by our routes,
  // the statuses we send and the methods Node parses.
  const byLabels = new Map<string, Cells>();
  const byRequest = new Map<string | undefined, Map<number, Map<string, Cells>>>();
  const cellsOf = (method: string, route: string | undefined, statusCode: number): Cells => {
    const labels = { method: METHODS.has(method) ? method : "other", route: route ?? "unmatched", status_class: `${Math.floor(statusCode / 100)}xx` };
    const key = `${labels.method} ${labels.status_class} ${labels.route}`;
    let cells = byLabels.get(key);
    if (!cells) {
      cells = { requests: requests.cell(labels), duration: duration.cell(labels) };
      byLabels.set(key, cells);
    }
    return cells;
  };
  const lookUp = (method: string, route: string | undefined, statusCode: number): Cells => {
    let byStatus = byRequest.get(route);
    if (!byStatus) byRequest.set(route, (byStatus = new Map()));
    let byMethod = byStatus.get(statusCode);
    if (!byMethod) byStatus.set(statusCode, (byMethod = new Map()));
    let cells = byMethod.get(method);
    if (!cells) byMethod.set(method, (cells = cellsOf(method, route, statusCode)));
    return cells;
  };
  return {
    observe: ({ method, route, statusCode, durationMs }) => {
      const cells = lookUp(method, route, statusCode);
      cells.requests.inc();
      cells.duration.observe(durationMs / 1000);
    },
  };
}
