/**
 * The background loop: finds what is due through the store's due index (never by listing sessions) and does it.
 * For an unsettled session with a callbackUrl that nobody polls, the watcher's next read (so its decision settles
 * and the webhook goes out without a caller asking), backing off while nothing changes; once the token lapsed, the
 * settle as expired or abandoned (or as Face last saw it); for a settled one, its deletion at Face after the lapse,
 * the retry of a failed deletion, and a deletion whose replica died before doing it. Then session images past their
 * retention are deleted, each with its imageDeleted event. Sessions without a callbackUrl cost no background read
 * before their lapse (session-schedule.ts), and the loop's reads wait behind every caller's in the quota guard
 * (priority "background").
 *
 * claimDue leases each record (moves its dueAt past the work), so replicas sharing a store never work on the same
 * session at once, and a replica that dies mid-work leaves it to be retaken when the lease ends: within
 * CLAIM_LEASE_MS plus one tick. A session a long-poll polls is looked at again every WATCH_DEFER_MS, so it comes
 * back to the watcher that soon after the poller dies. The claim's number fences this worker's writes (the next
 * poll, the next due time): once another replica took the record over, they are refused. Face reads go through
 * SessionSync (one per session at a time here, shared with callers) and the quota guard, and only when no long-poll
 * in the cluster polls the session already.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import { observedRun, PeriodicTask, type RunObserver } from "../lib/periodic-task.js";
import { RepeatedFailureLog } from "../lib/repeated-failure-log.js";
import type { ImageStore } from "../state/image-store.js";
import type { SessionEvents } from "../state/session-events.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import type { SessionCleanup } from "./session-cleanup.js";
import type { SessionSchedule } from "./session-schedule.js";
import { SYSTEM_ACTOR_ID, type Actor, type SessionSync } from "./session-sync.js";

export interface BackgroundOptions {
  /** How often the loop looks for due work. */
  tickMs: number;
  /** SESSION_WATCH_CONCURRENCY: sessions worked on at once (each may read Face). */
  concurrency: number;
  /** Told of every tick (metrics). */
  onRun?: RunObserver | undefined;
}

export interface BackgroundDeps {
  store: SessionStore;
  images: ImageStore;
  sync: SessionSync;
  cleanup: SessionCleanup;
  schedule: SessionSchedule;
  events: SessionEvents;
  clock: Clock;
  log: FastifyBaseLogger;
  /** False while a long-poll loop somewhere in the cluster polls the session (it reads Face then, not us). */
  mayWatch(id: string): Promise<boolean>;
}

/** Records claimed at a time; a tick claims again while it gets full batches. */
const BATCH = 50;
/**
 * How long a claimed record is ours: past one session's usual work (a Face read with its quota wait, an image copy,
 * a delete), and short enough that a dead replica's work is retaken within 30 s (this plus a tick of at most 1 s).
 * A live replica slower than this (Face timing out through every retry) may have the work retaken; the fence then
 * drops its late writes, and a decision settles once whoever settles it.
 */
export const CLAIM_LEASE_MS = 20_000;

/**
 * How soon the watcher looks again at a session a long-poll loop polls (it holds the poll lease, so the watcher does
 * not read): the long-poll's reads do not move the watcher's schedule, so if the poller dies the watcher reads the
 * session within its poll lease's lapse plus this plus a tick, however far its own backoff (up to a quarter of the
 * token's life) has grown. A look costs a claim and a write, no Face call.
 */
export const WATCH_DEFER_MS = 10_000;

/**
 * How long a session that never started (settled expired) is kept after its token lapsed, instead of the 24 hours
 * a used session is: nothing in it is worth keeping longer than it takes a caller to read the outcome, and an
 * unused session is the cheapest thing for a caller (or an attacker) to create in bulk.
 */
export const NEVER_STARTED_RETENTION_MS = 60 * 60 * 1000;

export class SessionBackground {
  private readonly task: PeriodicTask;
  private stopped = false;
  private readonly actor: Actor;
  /** A store outage fails every tick (and every session in it): one stack, then a line a minute, then "recovered". */
  private readonly failures: RepeatedFailureLog;
  /** A Face outage fails every due refresh alike. */
  private readonly faceReadFailures: RepeatedFailureLog;

  constructor(
    private readonly deps: BackgroundDeps,
    private readonly options: BackgroundOptions,
  ) {
    this.actor = { id: SYSTEM_ACTOR_ID, log: deps.log };
    this.failures = new RepeatedFailureLog(deps.log, deps.clock, "session background work");
    this.faceReadFailures = new RepeatedFailureLog(deps.log, deps.clock, "background session refresh");
    this.task = new PeriodicTask(
      async () => {
        const before = this.failures.reported;
        await observedRun(() => this.tick(), options.onRun);
        // Only a tick in which no session failed either says the work is back.
        if (this.failures.reported === before) this.failures.succeeded();
      },
      (error) => this.failures.failed(error),
    );
  }

  start(): void {
    if (!this.stopped) this.task.start(this.options.tickMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.task.stop();
  }

  /** Does everything due now: the sessions' work, `concurrency` at a time, then the images. */
  async tick(): Promise<void> {
    for (;;) {
      const due = await this.deps.store.claimDue(BATCH, CLAIM_LEASE_MS);
      const queue = [...due];
      const worker = async () => {
        for (let next = queue.shift(); next && !this.stopped; next = queue.shift()) {
          // One session's failure (the store gone for a moment) must not drop the rest of the batch: its own
          // claim lapses and it is retaken.
          await this.work(next).catch((error: unknown) => this.failures.failed(error, { sessionId: next!.id }));
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
      if (due.length < BATCH || this.stopped) break;
    }
    await this.deleteExpiredImages();
  }

  private async work(claimed: SessionRecord): Promise<void> {
    const { sync, cleanup, schedule, clock } = this.deps;
    const now = clock.now();
    const lapsed = now >= claimed.authTokenExpiresAt;
    if (claimed.erased) return cleanup.finishErasure(claimed, this.actor);
    const fence = claimed.claim === undefined ? undefined : { claim: claimed.claim };
    let record: SessionRecord | undefined = claimed;
    let failed = false;
    // Only a watched session is read before its lapse, and only while nobody in the cluster long-polls it.
    const watched = schedule.watched(claimed, now);
    const watchDue = watched && (await this.deps.mayWatch(claimed.id));
    if (!claimed.decision && claimed.deletedAtFaceAt === undefined && (lapsed || watchDue)) {
      try {
        record = await sync.refresh(claimed, this.actor, { poll: schedule.watched(claimed, now), fence });
        this.faceReadFailures.succeeded();
      } catch (error) {
        // Face's bad day (or our quota guard saying no): the next due time tries again.
        this.faceReadFailures.failed(error, { sessionId: claimed.id, purpose: lapsed ? "settle a lapsed session" : "watch" });
        failed = true;
      }
    }
    if (!record) return;
    if (record.decision && (record.faceDeletionDue || schedule.deletionOwed(record) || (lapsed && schedule.deletesAtLapse(record)))) {
      record = await cleanup.deleteAtFace(record.id, this.actor);
      if (!record) return;
    }
    if (record.decision?.outcome === "expired") {
      const expiresAt = Math.max(record.authTokenExpiresAt, now) + NEVER_STARTED_RETENTION_MS;
      if (expiresAt < record.expiresAt) record = (await this.deps.store.update(record.id, { expiresAt })) ?? record;
    }
    // Nothing above set the next due time (it still holds our lease): set it now.
    if (record.dueAt === claimed.dueAt) await this.reschedule(record, failed, fence, watched && !watchDue);
  }

  /**
   * A failed read backs the watcher off as a quiet poll would; a failed lapse settle is retried later. A watch that
   * deferred to a long-poll comes back within WATCH_DEFER_MS.
   */
  private async reschedule(record: SessionRecord, failed: boolean, fence: { claim: number } | undefined, deferred: boolean): Promise<void> {
    const { store, schedule, clock } = this.deps;
    const now = clock.now();
    const watched = schedule.watched(record, now);
    const watchIntervalMs = watched && failed ? schedule.nextInterval(record, false) : record.watchIntervalMs;
    const next: SessionRecord = { ...record, ...(watchIntervalMs !== undefined && { watchIntervalMs }) };
    delete next.dueAt;
    const scheduled = failed && !watched ? now + schedule.options.retryMs : schedule.dueAt(next, now);
    const dueAt = deferred && scheduled !== null ? Math.min(scheduled, now + WATCH_DEFER_MS) : scheduled;
    await store.update(record.id, { dueAt, ...(watchIntervalMs !== undefined && { watchIntervalMs }) }, fence);
  }

  private async deleteExpiredImages(): Promise<void> {
    const { images, events, clock } = this.deps;
    for (;;) {
      const due = await images.due(BATCH);
      for (const { sessionId, clientId } of due) {
        if (this.stopped) return;
        if (await images.delete(sessionId)) events.emit({ type: "imageDeleted", sessionId, clientId, at: clock.now(), actor: SYSTEM_ACTOR_ID });
      }
      if (due.length < BATCH) return;
    }
  }
}
