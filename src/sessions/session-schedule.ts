/**
 * When background work is next due for a session: the record's dueAt, which the store indexes so the background
 * loop finds due sessions without listing them all. Every writer of a record asks here, so dueAt always names the
 * next thing to do: the watcher's next read while the server must act on its own, the token's lapse (settle it,
 * delete it at Face), or nothing.
 *
 * Face's quota is the scarce thing, so the watcher follows only sessions nobody will ask about: those with a
 * callbackUrl, whose decision must go out as a webhook. A session without one is read when its caller asks, and by
 * the background loop only once its token lapsed. The watcher's first read waits for a plausible device time; quiet
 * reads back off in step with the token's lifetime; and a caller's read moves the watcher's next read on, so the two
 * never read the same session one after the other.
 */
import type { SessionRecord } from "../state/session-store.js";
import { isFinalAtFace } from "./decision/decision-policy.js";
import { snapshotOfRecord } from "./session-snapshot.js";

export interface ScheduleOptions {
  /** SESSION_WATCH_INTERVAL_MS: the watcher's base interval between reads; 0 turns the watcher off. */
  watchIntervalMs: number;
  /** SESSION_WATCH_FIRST_POLL_MS: from a session's creation to the watcher's first read (the device needs that long). */
  firstPollMs: number;
  /** SESSION_SWEEP_INTERVAL_MS: how long a failed step (a Face deletion, a lapsed settle) waits to be retried. */
  retryMs: number;
  /** DELETE_AFTER_DECISION */
  deleteAfterDecision: boolean;
}

/**
 * Quiet reads double the interval up to this share of the token's lifetime: a 10-minute token is read at most every
 * 2.5 minutes once nothing happens, a 24-hour one every 6 hours, so the reads a session costs stay about the same
 * however long its token lives.
 */
const BACKOFF_SHARE_OF_LIFETIME = 1 / 4;

/**
 * How long the replica deleting a session at Face (its caller has the decision: DELETE_AFTER_DECISION) has before the
 * background loop takes the deletion over. The write that records the caller has it sets this due time, so a replica
 * that dies before the deletion leaves it to another within this plus a tick, not at the token's lapse. Past one
 * deletion's usual time (its quota wait, an image copy), like the background loop's claim.
 */
export const DELETION_PICKUP_MS = 20_000;

/** Outcomes of a session nobody used: deleted at Face once the token lapsed, whatever DELETE_AFTER_DECISION says. */
const UNUSED = new Set(["expired", "abandoned"]);

export class SessionSchedule {
  constructor(readonly options: ScheduleOptions) {}

  /** The server must read this session on its own: a webhook is owed, and Face can still change the session. */
  watched(record: SessionRecord, now: number): boolean {
    return (
      this.options.watchIntervalMs > 0 &&
      record.callbackUrl !== undefined &&
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

  /** The caller has the settled decision (read it, or got the webhook) and DELETE_AFTER_DECISION wants Face's copy gone. */
  deletionOwed(record: SessionRecord): boolean {
    return (
      this.options.deleteAfterDecision &&
      record.decision !== undefined &&
      record.deletedAtFaceAt === undefined &&
      (record.decisionReadAt !== undefined || record.webhookDeliveredAt !== undefined)
    );
  }

  /** The first due time of a new record: the watcher's first read, or else the token's lapse. */
  firstDueAt(record: SessionRecord): number {
    const lapse = record.authTokenExpiresAt;
    return this.watched(record, record.createdAt) ? Math.min(record.createdAt + this.options.firstPollMs, lapse) : lapse;
  }

  /** The next due time of a record as it now stands (null: nothing more to do), `now` being the time of this write. */
  dueAt(record: SessionRecord, now: number): number | null {
    if (record.deletedAtFaceAt !== undefined) return null;
    // A failed Face deletion keeps the retry time it was given.
    if (record.faceDeletionDue) return record.dueAt ?? now + this.options.retryMs;
    // An owed deletion is under way on the replica that recorded it; it is the background loop's if not done by then.
    if (this.deletionOwed(record)) return now + DELETION_PICKUP_MS;
    if (record.decision) return this.deletesAtLapse(record) ? record.authTokenExpiresAt : null;
    if (this.watched(record, now)) return Math.min(now + this.intervalOf(record), record.authTokenExpiresAt);
    // Unsettled: settle at the lapse; past it, the settle is retried (Face failed, or a digest may still come).
    return now < record.authTokenExpiresAt ? record.authTokenExpiresAt : now + this.options.retryMs;
  }

  /** The watcher's interval after a read: back to the base when the session changed, else doubled, up to its cap. */
  nextInterval(record: SessionRecord, changed: boolean): number {
    const base = this.options.watchIntervalMs;
    return changed ? base : Math.min(this.intervalOf(record) * 2, this.maxInterval(record));
  }

  /**
   * A caller just read Face for this watched session: unless the watcher's next read is a full interval away
   * already, it is moved on (one write), so the watcher never reads right after a caller did. Sessions without a
   * callbackUrl are not watched, so their reads cost no such write.
   */
  callerReadMovesWatch(record: SessionRecord, now: number): boolean {
    return this.watched(record, now) && (record.dueAt ?? 0) < now + this.intervalOf(record);
  }

  intervalOf(record: SessionRecord): number {
    return record.watchIntervalMs ?? this.options.watchIntervalMs;
  }

  private maxInterval(record: SessionRecord): number {
    const lifetime = record.authTokenExpiresAt - record.createdAt;
    return Math.max(this.options.watchIntervalMs, Math.round(lifetime * BACKOFF_SHARE_OF_LIFETIME));
  }
}
