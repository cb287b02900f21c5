/**
 * /metrics after a whole flow on the real emulator: the numbers move, and they agree with what the emulator itself
 * counted (Face calls are counted at Face). The scrape passes `promtool check metrics`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register as globalRegistry } from "prom-client";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { metric, parseMetrics } from "../helpers/metrics-text.js";
import { itPromtool, promtool } from "../helpers/promtool.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";
import { fullFlow, WEBHOOK_SECRET } from "./metrics-kit.js";

let stack: TestStack;
let receiver: WebhookReceiver;
let text: string;
beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  stack = await startStack({ WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", LOG_LEVEL: "info" });
  await fullFlow(stack, receiver);
  const scraped = await stack.app.inject({ method: "GET", url: "/metrics" });
  expect(scraped.statusCode).toBe(200);
  expect(scraped.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  text = scraped.body;
});
afterAll(async () => {
  await stack.close();
  await receiver.close();
});

const faceCount = (...operations: string[]) => operations.reduce((n, op) => n + stack.emulator.state.requestCount(op as never), 0);

describe("/metrics after a whole flow", () => {
  it("when scraped, then HTTP requests are counted by route template and status class, never by URL", () => {
    expect(metric(text, "lso_http_requests_total", { method: "POST", route: "/v1/sessions", status_class: "2xx" })).toBe(2);
    expect(metric(text, "lso_http_requests_total", { method: "POST", route: "/v1/sessions/:id/complete", status_class: "2xx" })).toBe(1);
    expect(metric(text, "lso_http_requests_total", { method: "DELETE", route: "/v1/sessions/:id", status_class: "2xx" })).toBe(1);
    expect(metric(text, "lso_http_requests_total", { route: "unmatched", status_class: "4xx" })).toBe(1);
    expect(metric(text, "lso_http_request_duration_seconds_count", { method: "POST", route: "/v1/sessions" })).toBe(2);
    const routes = new Set(parseMetrics(text).filter((s) => s.name === "lso_http_requests_total").map((s) => s.labels.route));
    expect([...routes].filter((route) => !route!.startsWith("/") && route !== "unmatched")).toEqual([]);
  });

  it("when scraped, then requests to Face match what the emulator counted, by operation, with their latency", () => {
    expect(metric(text, "lso_face_requests_total", { operation: "createLivenessSession", outcome: "ok" })).toBe(faceCount("createLivenessSession"));
    expect(metric(text, "lso_face_requests_total", { operation: "createLivenessWithVerifySession", outcome: "ok" })).toBe(faceCount("createLivenessWithVerifySession"));
    expect(metric(text, "lso_face_requests_total", { operation: "getSession" })).toBe(faceCount("getLivenessSession", "getLivenessWithVerifySession"));
    expect(metric(text, "lso_face_requests_total", { operation: "deleteSession" })).toBe(faceCount("deleteLivenessSession", "deleteLivenessWithVerifySession"));
    expect(faceCount("createLivenessSession")).toBe(1);
    expect(metric(text, "lso_face_request_duration_seconds_count", { operation: "createLivenessSession" })).toBe(1);
    expect(metric(text, "lso_face_guard_calls_total", { operation: "createLivenessSession", outcome: "ok" })).toBe(1);
    expect(metric(text, "lso_face_guard_breaker_state", { state: "closed" })).toBe(1);
    expect(metric(text, "lso_face_guard_queue_depth")).toBe(0);
    // One quota token per request sent to Face; the two creates went through the create queue.
    expect(metric(text, "lso_face_guard_tokens_granted_total")).toBe(metric(text, "lso_face_requests_total"));
    expect(metric(text, "lso_face_guard_tokens_granted_total", { priority: "create" })).toBe(2);
    expect(metric(text, "lso_state_operations_total", { store: "quota" })).toBeGreaterThanOrEqual(metric(text, "lso_face_requests_total")!);
  });

  it("when scraped, then the decision, the sessions and the webhook attempt are counted, and the outbox is empty", () => {
    expect(metric(text, "lso_sessions_created_total", { kind: "liveness" })).toBe(1);
    expect(metric(text, "lso_sessions_created_total", { kind: "livenessWithVerify" })).toBe(1);
    expect(metric(text, "lso_decisions_total", { outcome: "approved" })).toBe(1);
    expect(metric(text, "lso_webhook_attempts_total", { result: "delivered" })).toBe(1);
    expect(metric(text, "lso_webhook_outbox_pending")).toBe(0);
    expect(metric(text, "lso_webhook_outbox_oldest_due_age_seconds")).toBe(0);
    expect(metric(text, "lso_background_runs_total", { loop: "webhooks", result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(metric(text, "lso_long_poll_waiters")).toBe(0);
  });

  it("when scraped, then state calls are counted by store and operation, and process metrics are there", () => {
    expect(metric(text, "lso_state_operations_total", { backend: "memory", store: "sessions", operation: "put" })).toBe(2);
    expect(metric(text, "lso_state_operations_total", { store: "outbox", operation: "add" })).toBe(1);
    expect(metric(text, "lso_state_errors_total")).toBeUndefined();
    expect(metric(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(metric(text, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
  });

  it("when more traffic comes, then the counters move by exactly that much, and nothing lands in prom-client's global registry", async () => {
    const before = metric(text, "lso_http_requests_total", { method: "POST", route: "/v1/sessions", status_class: "2xx" })!;
    expect((await createSession(stack.app, { kind: "liveness" })).statusCode).toBe(201);
    expect((await stack.app.inject({ method: "GET", url: "/v1/sessions?limit=1", headers: auth() })).statusCode).toBe(200);
    const after = (await stack.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metric(after, "lso_http_requests_total", { method: "POST", route: "/v1/sessions", status_class: "2xx" })).toBe(before + 1);
    expect(metric(after, "lso_face_requests_total", { operation: "createLivenessSession" })).toBe(faceCount("createLivenessSession"));
    expect((await globalRegistry.getMetricsAsJSON()).filter((m) => m.name.startsWith("lso_"))).toEqual([]);
  });

  itPromtool("when linted with promtool check metrics, then it passes", async () => {
    const result = await promtool(["check", "metrics"], text);
    expect(result).toEqual({ code: 0, output: "" });
  });
});
