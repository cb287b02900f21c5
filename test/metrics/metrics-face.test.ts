/**
 * The Face metrics' two mappings, as units: an error from the Face client to the outcome label an alert reads
 * (Face's 429 apart from its 503, a 5xx apart from a reply we could not use), and the quota guard's stats to series
 * (tokens per queue, waits by what held them, queue depths, shed calls, the breaker).
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.js";
import type { FaceGuardStats } from "../../src/face/face-guard-stats.js";
import { faceMetrics, faceOutcome } from "../../src/metrics/metrics-face.js";
import { metric } from "../helpers/metrics-text.js";

describe("faceOutcome", () => {
  it.each([
    [undefined, "ok"],
    [new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds: 2, upstreamStatus: 429 }), "throttled"],
    [new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds: 2, upstreamStatus: 503 }), "unavailable"],
    [new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds: 1, cause: { transportError: "ECONNREFUSED" } }), "unreachable"],
    [new AppError("LSO_ERR_UPSTREAM_TIMEOUT"), "timeout"],
    [new AppError("LSO_ERR_UPSTREAM", { upstreamStatus: 500 }), "server_error"],
    [new AppError("LSO_ERR_UPSTREAM"), "bad_reply"],
    [new AppError("LSO_ERR_UPSTREAM_AUTH", { upstreamStatus: 401 }), "auth_failed"],
    [new AppError("LSO_ERR_UPSTREAM_MISCONFIGURED", { upstreamStatus: 404 }), "misconfigured"],
    [new AppError("LSO_ERR_SESSION_NOT_FOUND"), "not_found"],
    [new AppError("LSO_ERR_FACE_INVALID_IMAGE"), "invalid_image"],
    [new TypeError("a bug"), "error"],
  ])("when a Face call ends with %s, then its outcome is %s", (error, outcome) => {
    expect(faceOutcome(error)).toBe(outcome);
  });
});

const stats = (): FaceGuardStats => ({
  calls: { createLivenessSession: { ok: 3, LSO_ERR_UPSTREAM_UNAVAILABLE: 1 }, createLivenessWithVerifySession: {}, getSession: {}, deleteSession: {}, getSessionImage: {}, probe: {} },
  upstreamCalls: { createLivenessSession: 4, createLivenessWithVerifySession: 0, getSession: 0, deleteSession: 0, getSessionImage: 0, probe: 0 },
  retries: { createLivenessSession: 0, createLivenessWithVerifySession: 0, getSession: 2, deleteSession: 0, getSessionImage: 0, probe: 0 },
  deletesGoneAfterRetry: 0,
  rejectedByQueue: { queueFull: 1, waitTooLong: 2, closed: 0, quotaUnavailable: 1 },
  rejectedByBreaker: 5,
  retryAfterPauses: 1,
  granted: { create: 4, read: 7, delete: 1, background: 2 },
  quotaHolds: { face: 3, background: 5, pause: 1 },
  quotaErrors: 2,
  breaker: { state: "halfOpen", consecutiveFailures: 3, transitions: { closed: 0, open: 1, halfOpen: 1 } },
  queueLength: 4,
  queued: { create: 1, read: 0, delete: 0, background: 3 },
  pausedUntil: 0,
});

describe("the quota guard's stats as metrics", () => {
  it("when scraped, then callers' results, retries, shed calls, tokens per queue, waits, queue depths and the breaker's state are series", async () => {
    const registry = new Registry();
    faceMetrics(registry, () => 0).collectGuard(stats);
    const text = await registry.metrics();
    expect(metric(text, "lso_face_guard_calls_total", { operation: "createLivenessSession", outcome: "ok" })).toBe(3);
    expect(metric(text, "lso_face_guard_calls_total", { outcome: "LSO_ERR_UPSTREAM_UNAVAILABLE" })).toBe(1);
    expect(metric(text, "lso_face_guard_retries_total", { operation: "getSession" })).toBe(2);
    expect(metric(text, "lso_face_guard_shed_total", { reason: "waitTooLong" })).toBe(2);
    expect(metric(text, "lso_face_guard_shed_total", { reason: "quotaUnavailable" })).toBe(1);
    expect(metric(text, "lso_face_guard_shed_total", { reason: "breakerOpen" })).toBe(5);
    expect(metric(text, "lso_face_guard_tokens_granted_total")).toBe(14);
    expect(metric(text, "lso_face_guard_tokens_granted_total", { priority: "create" })).toBe(4);
    expect(metric(text, "lso_face_guard_waits_total", { held_by: "pause" })).toBe(1);
    expect(metric(text, "lso_face_guard_waits_total")).toBe(9);
    expect(metric(text, "lso_face_guard_quota_errors_total")).toBe(2);
    expect(metric(text, "lso_face_guard_queue_depth")).toBe(4);
    expect(metric(text, "lso_face_guard_queued", { priority: "background" })).toBe(3);
    expect(metric(text, "lso_face_guard_breaker_state", { state: "halfOpen" })).toBe(1);
    expect(metric(text, "lso_face_guard_breaker_state", { state: "open" })).toBe(0);
  });
});
