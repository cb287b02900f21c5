/**
 * HTTP metrics: requests and their duration by method, route template and status class. The route is the
 * template Fastify matched (`/v1/sessions/:sessionId`), never the URL: a raw path would carry session ids and
 * query strings (and grow without bound); requests no route matched share `unmatched`.
 */
import { Counter, Histogram, type Registry } from "prom-client";

/** Methods Node's parser accepts are a fixed list, but only these are ours; anything else is `other`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface HttpMetrics {
  observe(request: { method: string; route: string | undefined; statusCode: number; durationMs: number }): void;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ["method", "route", "status_class"] as const;
  const requests = new Counter({ name: "lso_http_requests_total", help: "HTTP requests answered, by method, route template and status class.", labelNames, registers: [registry] });
  const duration = new Histogram({
    name: "lso_http_request_duration_seconds",
    help: "Time to answer an HTTP request (long-polls included), by method, route template and status class.",
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return {
    observe: ({ method, route, statusCode, durationMs }) => {
      const labels = {
        method: METHODS.has(method) ? method : "other",
        route: route ?? "unmatched",
        status_class: `${Math.floor(statusCode / 100)}xx`,
      };
      requests.inc(labels);
      duration.observe(labels, durationMs / 1000);
    },
  };
}
