/**
 * Face metrics. Two vantage points:
 * - every request actually sent to Face (a decorator around the SDK gateway, inside the quota guard): by operation
 *   and outcome, with latency. This is what Face itself saw, retries included: its 429s and 5xx, its slowness.
 * - the quota guard, read from its stats() at scrape time: what callers got, retries, quota tokens granted and the
 *   waits for them, calls shed by the queue or the breaker, queue depth, the breaker's state, Face's Retry-After pause.
 */
import { performance } from "node:perf_hooks";
import { Gauge, type Registry } from "prom-client";
import { isAppError } from "../errors.js";
import type { FaceGateway } from "../face/face-gateway.js";
import type { FaceGuardStats } from "../face/face-guard-stats.js";
import { guardOperations } from "../face/face-guard-policy.js";
import { CellCounter, CellHistogram, type CounterCell, type HistogramCell } from "./metrics-cells.js";
import { mirroredCounter } from "./metrics-registry.js";

/**
 * What one request to Face came to, in words an alert can use: `throttled` is Face's 429, `unavailable` its 503 (or
 * 408/409), `server_error` a 5xx, `unreachable` no connection, `auth_failed` a 401/403.
 */
export type FaceOutcome =
  | "ok"
  | "throttled"
  | "unavailable"
  | "unreachable"
  | "timeout"
  | "server_error"
  | "bad_reply"
  | "auth_failed"
  | "misconfigured"
  | "not_found"
  | "invalid_image"
  | "error";

export function faceOutcome(err: unknown): FaceOutcome {
  if (err === undefined) return "ok";
  if (!isAppError(err)) return "error";
  switch (err.code) {
    case "LSO_ERR_UPSTREAM_UNAVAILABLE":
      if (err.upstreamStatus === 429) return "throttled";
      return err.upstreamStatus === undefined ? "unreachable" : "unavailable";
    case "LSO_ERR_UPSTREAM_TIMEOUT":
      return "timeout";
    case "LSO_ERR_UPSTREAM":
      return err.upstreamStatus !== undefined && err.upstreamStatus >= 500 ? "server_error" : "bad_reply";
    case "LSO_ERR_UPSTREAM_AUTH":
      return "auth_failed";
    case "LSO_ERR_UPSTREAM_MISCONFIGURED":
      return "misconfigured";
    case "LSO_ERR_SESSION_NOT_FOUND":
    case "LSO_ERR_SESSION_IMAGE_NOT_FOUND":
      return "not_found";
    case "LSO_ERR_FACE_INVALID_IMAGE":
      return "invalid_image";
    default:
      return "error";
  }
}

export interface FaceMetrics {
  /** Wraps the SDK gateway so each request to Face is counted and timed. */
  instrument(inner: FaceGateway): FaceGateway;
  /** Reads the quota guard's stats at every scrape. */
  collectGuard(stats: () => FaceGuardStats): void;
}

export function faceMetrics(registry: Registry, now: () => number = Date.now): FaceMetrics {
  const requests = new CellCounter({
    name: "lso_face_requests_total",
    help: "Requests sent to Azure AI Face (retries included), by operation and outcome.",
    labelNames: ["operation", "outcome"] as const,
    registers: [registry],
  });
  const duration = new CellHistogram({
    name: "lso_face_request_duration_seconds",
    help: "Latency of requests to Azure AI Face, by operation and outcome.",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  /*
   * One operation's cells, by outcome, bound on an outcome's first request (metrics-cells.ts): a request to Face is
   * then a count and an observation, not two label lookups. Outcomes are a small fixed set, so the map stays small.
   */
  const cellsOf = (operation: string) => {
    const byOutcome = new Map<FaceOutcome, { counted: CounterCell; timed: HistogramCell }>();
    return (outcome: FaceOutcome, seconds: number) => {
      let cells = byOutcome.get(outcome);
      if (!cells) {
        const labels = { operation, outcome };
        cells = { counted: requests.cell(labels), timed: duration.cell(labels) };
        byOutcome.set(outcome, cells);
      }
      cells.counted.inc();
      cells.timed.observe(seconds);
    };
  };

  const timed = <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) => {
    const record = cellsOf(operation);
    return (...args: A): Promise<R> => {
      const started = performance.now();
      let pending: Promise<R>;
      try {
        pending = call(...args);
      } catch (error) {
        // A gateway that throws before its promise still answers the caller with a rejection, counted like one.
        record(faceOutcome(error), (performance.now() - started) / 1000);
        return Promise.reject(error);
      }
      return pending.then(
        (result) => {
          record("ok", (performance.now() - started) / 1000);
          return result;
        },
        (error: unknown) => {
          record(faceOutcome(error), (performance.now() - started) / 1000);
          throw error;
        },
      );
    };
  };

  return {
    instrument: (inner) => ({
      createLivenessSession: timed("createLivenessSession", inner.createLivenessSession.bind(inner)),
      createLivenessWithVerifySession: timed("createLivenessWithVerifySession", inner.createLivenessWithVerifySession.bind(inner)),
      getSession: timed("getSession", inner.getSession.bind(inner)),
      deleteSession: timed("deleteSession", inner.deleteSession.bind(inner)),
      getSessionImage: timed("getSessionImage", inner.getSessionImage.bind(inner)),
      probe: timed("probe", inner.probe.bind(inner)),
    }),
    collectGuard: (stats) => guardMetrics(registry, stats, now),
  };
}

function guardMetrics(registry: Registry, stats: () => FaceGuardStats, now: () => number): void {
  mirroredCounter(
    registry,
    { name: "lso_face_guard_calls_total", help: "Calls to the Face quota guard by operation and the result the caller got (ok or an LSO_ERR_* code).", labelNames: ["operation", "outcome"] },
    () => guardOperations.flatMap((operation) => Object.entries(stats().calls[operation]).map(([outcome, n]) => [{ operation, outcome }, n ?? 0] as [Record<string, string>, number])),
  );
  mirroredCounter(
    registry,
    { name: "lso_face_guard_retries_total", help: "Retries the quota guard made, by operation (reads, deletes and probes only).", labelNames: ["operation"] },
    () => guardOperations.map((operation) => [{ operation }, stats().retries[operation]]),
  );
  mirroredCounter(
    registry,
    {
      name: "lso_face_guard_shed_total",
      help: "Calls refused by the quota guard without calling Face (answered 503), by reason: queueFull, waitTooLong, quotaUnavailable, closed, breakerOpen.",
      labelNames: ["reason"],
    },
    () => {
      const s = stats();
      return [...Object.entries(s.rejectedByQueue).map(([reason, n]) => [{ reason }, n] as [Record<string, string>, number]), [{ reason: "breakerOpen" }, s.rejectedByBreaker]];
    },
  );
  mirroredCounter(
    registry,
    { name: "lso_face_guard_retry_after_pauses_total", help: "Times Face's Retry-After pushed the guard's shared pause further out.", labelNames: [] },
    () => [[{}, stats().retryAfterPauses]],
  );
  mirroredCounter(
    registry,
    { name: "lso_face_guard_breaker_transitions_total", help: "Circuit breaker transitions, by the state entered.", labelNames: ["state"] },
    () => Object.entries(stats().breaker.transitions).map(([state, n]) => [{ state }, n]),
  );
  mirroredCounter(
    registry,
    {
      name: "lso_face_guard_tokens_granted_total",
      help: "Quota tokens granted (one per request to Face, retries included), by the queue of the call: create, read, delete, background.",
      labelNames: ["priority"],
    },
    () => Object.entries(stats().granted).map(([priority, n]) => [{ priority }, n]),
  );
  mirroredCounter(
    registry,
    { name: "lso_face_guard_waits_total", help: "Times a call had to wait for the quota, by what held it: a lane (face, background) or Face's Retry-After pause.", labelNames: ["held_by"] },
    () => Object.entries(stats().quotaHolds).map(([heldBy, n]) => [{ held_by: heldBy }, n]),
  );
  mirroredCounter(
    registry,
    { name: "lso_face_guard_quota_errors_total", help: "Times the shared quota's store could not be asked (the calls waiting were refused).", labelNames: [] },
    () => [[{}, stats().quotaErrors]],
  );
  new Gauge({
    name: "lso_face_guard_queue_depth",
    help: "Calls waiting in the quota guard's queues for their turn to Face.",
    registers: [registry],
    collect() {
      this.set(stats().queueLength);
    },
  });
  new Gauge({
    name: "lso_face_guard_queued",
    help: "Calls waiting for the quota, by queue (create, read, delete, background).",
    labelNames: ["priority"] as const,
    registers: [registry],
    collect() {
      for (const [priority, n] of Object.entries(stats().queued)) this.set({ priority }, n);
    },
  });
  new Gauge({
    name: "lso_face_guard_breaker_state",
    help: "The Face circuit breaker's state: 1 for the current one of closed, open, halfOpen.",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const current = stats().breaker.state;
      for (const state of ["closed", "open", "halfOpen"] as const) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: "lso_face_guard_pause_remaining_seconds",
    help: "Seconds left of the pause Face's Retry-After imposed on every call; 0 when none.",
    registers: [registry],
    collect() {
      const until = stats().pausedUntil;
      this.set(until > 0 ? Math.max(0, (until - now()) / 1000) : 0);
    },
  });
}
