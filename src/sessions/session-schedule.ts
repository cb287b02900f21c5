/**
 * When background work is next due for a session: the record's dueAt, which the store indexes so the background
 * loop finds due sessions without listing them all. Every writer of a record asks here, so dueAt always names the
 * next thing to do: the watcher's next poll while Face can still change the session, the token's lapse (settle it,
 * delete it at Face), or nothing.
 */
import type { SessionRecord } from "../state/session-store.js";
import { isFinalAtFace } from "./decision/decision-policy.js";
import { snapshotOfRecord } from "./session-snapshot.js";

export interface ScheduleOptions {
  /** SESSION_WATCH_INTERVAL_MS: a session's first poll comes this long after its creation; 0 turns polling off. */
  watchIntervalMs: number;
  /** SESSION_SWEEP_INTERVAL_MS: how long a failed step (a Face deletion, a lapsed settle) waits to be retried. */
  retryMs: number;
  /** DELETE_AFTER_DECISION */
  deleteAfterDecision: boolean;
}

/** A quiet session is polled ever less often, down to once per 8 intervals; any change resets it. */
const MAX_BACKOFF_FACTOR = 8;

/** Outcomes of a session nobody used: deleted at Face once the token lapsed, whatever DELETE_AFTER_DECISION says. */
const UNUSED = new Set(["expired", "abandoned"]);

export class SessionSchedule {
  constructor(readonly options: ScheduleOptions) {}

  /** Face can still change the session, so the watcher follows it. */
  watched(record: SessionRecord, now: number): boolean {
    return (
      this.options.watchIntervalMs > 0 &&
      !record.decision &&
      record.deletedAtFaceAt === undefined &&
      now < record.authTokenExpiresAt &&
      !isFinalAtFace(snapshotOfRecord(record))
    );
  }

  /**
   * After the lapse nothing at Face can change: with DELETE_AFTER_DECISION, a decision nobody read is deleted too
   * (the snapshot keeps answering GET), so no session outlives its token at Face for want of a reader.
   */
  deletesAtLapse(record: SessionRecord): boolean {
    return record.decision !== undefined && record.deletedAtFaceAt === undefined && (UNUSED.has(record.decision.outcome) || this.options.deleteAfterDecision);
  }

  /** The first due time of a new record. */
  firstDueAt(record: SessionRecord): number {
    const { watchIntervalMs } = this.options;
    return watchIntervalMs > 0 ? Math.min(record.createdAt + watchIntervalMs, record.authTokenExpiresAt) : record.authTokenExpiresAt;
  }

  /** The next due time of a record as it now stands (null: nothing more to do), `now` being the time of this write. */
  dueAt(record: SessionRecord, now: number): number | null {
    if (record.deletedAtFaceAt !== undefined) return null;
    // A failed Face deletion keeps the retry time it was given.
    if (record.faceDeletionDue) return record.dueAt ?? now + this.options.retryMs;
    if (record.decision) return this.deletesAtLapse(record) ? record.authTokenExpiresAt : null;
    if (this.watched(record, now)) return Math.min(now + this.intervalOf(record), record.authTokenExpiresAt);
    // Unsettled: settle at the lapse; past it, the settle is retried (Face failed, or a digest may still come).
    return now < record.authTokenExpiresAt ? record.authTokenExpiresAt : now + this.options.retryMs;
  }

  /** The watcher's interval after a poll: back to the base when the session changed, else doubled, up to 8x. */
  nextInterval(record: SessionRecord, changed: boolean): number {
    const base = this.options.watchIntervalMs;
    return changed ? base : Math.min(this.intervalOf(record) * 2, base * MAX_BACKOFF_FACTOR);
  }

  private intervalOf(record: SessionRecord): number {
    return record.watchIntervalMs ?? this.options.watchIntervalMs;
  }
}
