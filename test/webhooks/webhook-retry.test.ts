/** The retry schedule: exponential with ±20 % jitter, capped at an hour, Retry-After honoured, 24 hours at most. */
import { describe, expect, it } from "vitest";
import { backoffMs, MAX_RETRY_DELAY_MS, nextStep, retryAfterMs, RETRY_WINDOW_MS } from "../../src/webhooks/webhook-retry.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const ctx = { now: T0, seriesStartedAt: T0, attemptInSeries: 1, random: () => 0.5 };

describe("backoffMs", () => {
  it("when attempts fail in a row, then the delay doubles from 10 s and stops growing at 1 hour", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, () => 0.5))).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
    expect(backoffMs(30, () => 0.5)).toBe(MAX_RETRY_DELAY_MS);
  });

  it("when jitter is at its extremes, then the delay stays within ±20 %", () => {
    expect(backoffMs(1, () => 0)).toBe(8_000);
    expect(backoffMs(1, () => 1)).toBe(12_000);
  });
});

describe("retryAfterMs", () => {
  it("when Retry-After is seconds or an HTTP date, then it is read; otherwise ignored", () => {
    expect(retryAfterMs("120", T0)).toBe(120_000);
    expect(retryAfterMs(new Date(T0 + 30_000).toUTCString(), T0)).toBe(30_000);
    expect(retryAfterMs("soon", T0)).toBeUndefined();
    expect(retryAfterMs(undefined, T0)).toBeUndefined();
  });
});

describe("nextStep", () => {
  it("when the status is 2xx, then delivered; 4xx other than 408/429, then final", () => {
    expect(nextStep({ statusCode: 204 }, ctx)).toEqual({ state: "delivered" });
    expect(nextStep({ statusCode: 401 }, ctx)).toEqual({ state: "failed", note: "HTTP 401 is not retried" });
  });

  it("when the status is 408, 429 or 5xx, or the attempt errored, then a retry is due after the backoff", () => {
    for (const result of [{ statusCode: 408 }, { statusCode: 429 }, { statusCode: 500 }, { error: "network error: ECONNRESET" }]) {
      expect(nextStep(result, ctx)).toEqual({ state: "pending", dueAt: T0 + 10_000 });
    }
  });

  it("when 429 or 503 says Retry-After: 0 or a past date, then the retry still waits for the schedule's next step", () => {
    expect(nextStep({ statusCode: 429, retryAfter: "0" }, ctx)).toEqual({ state: "pending", dueAt: T0 + 10_000 });
    const past = new Date(T0 - 60_000).toUTCString();
    expect(nextStep({ statusCode: 503, retryAfter: past }, { ...ctx, attemptInSeries: 3 })).toEqual({ state: "pending", dueAt: T0 + 40_000 });
  });

  it("when Retry-After asks for longer than the schedule, then the receiver's hint is honoured", () => {
    expect(nextStep({ statusCode: 429, retryAfter: "120" }, ctx)).toEqual({ state: "pending", dueAt: T0 + 120_000 });
  });

  it("when the next attempt would fall after the 24-hour window, then the failure is final", () => {
    const late = { ...ctx, now: T0 + RETRY_WINDOW_MS - 5_000 };
    expect(nextStep({ statusCode: 503 }, late)).toEqual({ state: "failed", note: "gave up: the 24-hour retry window is over" });
    expect(nextStep({ statusCode: 429, retryAfter: String(2 * 86_400) }, ctx).state).toBe("failed");
  });

  it("when the sender marks the failure final (refused target), then no retry", () => {
    expect(nextStep({ error: "refused target: a loopback address", final: true }, ctx)).toEqual({ state: "failed" });
  });
});
