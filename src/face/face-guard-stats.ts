/**
 * The guard's counters as plain data: monotonic counters and a few gauges, shaped so a Prometheus exporter can map
 * them one to one later (e.g. calls → face_guard_calls_total{operation,outcome}). Nothing here is secret.
 */
import { isAppError, type ErrorCode } from "../errors.js";
import { faceCallPriorities, type FaceCallPriority } from "./face-gateway.js";
import type { BreakerState } from "./face-guard-breaker.js";
import { BACKGROUND_LANE, FACE_LANE, type GateRefusal } from "./face-guard-gate.js";
import { guardOperations, type GuardOperation } from "./face-guard-policy.js";
import { PAUSE_HOLD, type QuotaHold } from "./face-guard-quota.js";

/** A caller's final outcome: "ok", the AppError code it got, or "unexpected" for anything else (a bug). */
export type CallOutcome = "ok" | ErrorCode | "unexpected";

export interface FaceGuardStats {
  /** Caller-visible results, one per call to the guard. */
  calls: Record<GuardOperation, Partial<Record<CallOutcome, number>>>;
  /** Requests actually sent to Face (first attempts and retries). */
  upstreamCalls: Record<GuardOperation, number>;
  retries: Record<GuardOperation, number>;
  /** Deletes whose retry found the session gone after an attempt that may have deleted it: reported as success. */
  deletesGoneAfterRetry: number;
  rejectedByQueue: Record<GateRefusal, number>;
  rejectedByBreaker: number;
  /** Times Face's Retry-After pushed the shared pause further out. */
  retryAfterPauses: number;
  /** Tokens the shared quota granted, by the queue of the call that got each (attempts, retries included). */
  granted: Record<FaceCallPriority, number>;
  /** Times the shared quota said "not yet", by what held the call: a lane ("face", "background") or "pause". */
  quotaHolds: Record<QuotaHold, number>;
  /** Times the shared quota could not be asked at all (its store unreachable); the calls waiting were refused. */
  quotaErrors: number;
  breaker: { state: BreakerState; consecutiveFailures: number; transitions: Record<BreakerState, number> };
  queueLength: number;
  /** Calls waiting for the quota, by queue. */
  queued: Record<FaceCallPriority, number>;
  /** Epoch ms until which calls are held for Face's Retry-After; 0 when none. */
  pausedUntil: number;
}

const perOperation = <T>(make: () => T) => Object.fromEntries(guardOperations.map((op) => [op, make()])) as Record<GuardOperation, T>;

/** The counters the guard bumps; gauges are read from their owners at snapshot time. */
export class GuardCounters {
  private readonly calls = perOperation<Partial<Record<CallOutcome, number>>>(() => ({}));
  private readonly upstream = perOperation(() => 0);
  private readonly retries = perOperation(() => 0);
  private readonly rejected: Record<GateRefusal, number> = { queueFull: 0, waitTooLong: 0, closed: 0, quotaUnavailable: 0 };
  private readonly grants = Object.fromEntries(faceCallPriorities.map((p) => [p, 0])) as Record<FaceCallPriority, number>;
  private readonly holds: Record<QuotaHold, number> = { [FACE_LANE]: 0, [BACKGROUND_LANE]: 0, [PAUSE_HOLD]: 0 };
  private deletesGone = 0;
  private breakerRejections = 0;
  private pauses = 0;
  private quotaFailures = 0;

  outcome(operation: GuardOperation, err?: unknown): void {
    const outcome: CallOutcome = err === undefined ? "ok" : isAppError(err) ? err.code : "unexpected";
    const byOutcome = this.calls[operation];
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  }

  upstreamCall(operation: GuardOperation): void {
    this.upstream[operation] += 1;
  }

  retry(operation: GuardOperation): void {
    this.retries[operation] += 1;
  }

  refusedByGate(reason: GateRefusal): void {
    this.rejected[reason] += 1;
  }

  refusedByBreaker(): void {
    this.breakerRejections += 1;
  }

  paused(): void {
    this.pauses += 1;
  }

  granted(priority: FaceCallPriority): void {
    this.grants[priority] += 1;
  }

  held(by: QuotaHold): void {
    this.holds[by] = (this.holds[by] ?? 0) + 1;
  }

  quotaError(): void {
    this.quotaFailures += 1;
  }

  deleteGone(): void {
    this.deletesGone += 1;
  }

  snapshot(gauges: Pick<FaceGuardStats, "breaker" | "queueLength" | "queued" | "pausedUntil">): FaceGuardStats {
    return {
      calls: structuredClone(this.calls),
      upstreamCalls: { ...this.upstream },
      retries: { ...this.retries },
      deletesGoneAfterRetry: this.deletesGone,
      rejectedByQueue: { ...this.rejected },
      rejectedByBreaker: this.breakerRejections,
      retryAfterPauses: this.pauses,
      granted: { ...this.grants },
      quotaHolds: { ...this.holds },
      quotaErrors: this.quotaFailures,
      ...gauges,
      breaker: { ...gauges.breaker, transitions: { ...gauges.breaker.transitions } },
    };
  }
}
