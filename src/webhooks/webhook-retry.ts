/**
 * What an attempt's result means and when the next one is due. Retries follow exponential backoff with jitter
 * (10 s, 20 s, 40 s, ... capped at 1 hour, each ±20 %) for 24 hours from the start of the series. A receiver's
 * Retry-After can only lengthen the wait: it is floored at the schedule's next step, so `Retry-After: 0` (or a past
 * date) cannot make us retry every second for a day. A hint past the window makes the failure final.
 */
import type { DeliveryState } from "../state/webhook-outbox.js";

export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const FIRST_RETRY_DELAY_MS = 10_000;
export const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
/** ±20 %: enough to spread a burst of retries after a receiver outage, small enough to keep the schedule readable. */
const JITTER = 0.2;

/** What the sender saw: a status (with its Retry-After), or an error that kept us from getting one. */
export interface SendResult {
  statusCode?: number;
  retryAfter?: string;
  error?: string;
  /** The target is forbidden (SSRF guard) or cannot ever work: no retry. */
  final?: boolean;
}

export interface NextStep {
  state: DeliveryState;
  dueAt?: number;
  /** What the attempt's status meant, when it is worth recording (e.g. a final 4xx). */
  note?: string;
}

export function backoffMs(attemptInSeries: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, attemptInSeries - 1));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export interface StepContext {
  now: number;
  seriesStartedAt: number;
  /** 1 for the first attempt of the series. */
  attemptInSeries: number;
  random?: () => number;
}

export function nextStep(result: SendResult, ctx: StepContext): NextStep {
  const { statusCode } = result;
  if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return { state: "delivered" };
  if (result.final) return { state: "failed" };
  if (statusCode !== undefined && !isRetryableStatus(statusCode)) {
    // Redirects are not followed: a 3xx could send the signed event (and us) anywhere, past the SSRF guard.
    const note = statusCode >= 300 && statusCode < 400 ? "redirects are not followed" : `HTTP ${statusCode} is not retried`;
    return { state: "failed", note };
  }
  const hinted = statusCode === 429 || statusCode === 503 ? retryAfterMs(result.retryAfter, ctx.now) : undefined;
  const scheduled = backoffMs(ctx.attemptInSeries, ctx.random);
  const delay = hinted !== undefined ? Math.max(scheduled, hinted) : scheduled;
  const dueAt = ctx.now + delay;
  if (dueAt > ctx.seriesStartedAt + RETRY_WINDOW_MS) return { state: "failed", note: "gave up: the 24-hour retry window is over" };
  return { state: "pending", dueAt };
}
