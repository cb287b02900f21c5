/**
 * The background loop: finds what is due through the store's due index (never by listing sessions) and does it.
 * For an unsettled session with a callbackUrl that nobody polls, the watcher's next read (so its decision settles
 * and the webhook goes out without a caller asking), backing off while nothing changes; once the token lapsed, the
 * settle as expired or abandoned (or as Face last saw it); for a settled one, its deletion at Face after the lapse,
 * and the retry of a failed deletion. Then session images past their retention are deleted, each with its
 * imageDeleted event. Sessions without a callbackUrl cost no background read before their lapse (session-schedule.ts),
 * and the loop's reads wait behind every caller's in the quota guard (priority "background").
 *
 * claimDue leases each record (moves its dueAt past the work), so replicas sharing a store never work on the same
 * session at once, and a replica that dies mid-work leaves it to be retaken when the lease ends. Face reads go
 * through SessionSync (one per session at a time, shared with callers and long-polls) and the quota guard.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import { observedRun, PeriodicTask, type RunObserver } from "../lib/periodic-task.js";
import type { ImageStore } from "../state/image-store.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import type { SessionCleanup } from "./session-cleanup.js";
import type { SessionEvents } from "./session-events.js";
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
  /** True while a long-poll loop already polls the session. */
  isPolled(id: string): boolean;
}

/** Records claimed at a time; a tick claims again while it gets full batches. */
const BATCH = 50;
/**
 * How long a claimed record is ours: past any one session's work (a Face read with its quota wait and retries, an
 * image copy, a delete), so a live replica never has its work retaken.
 */
const CLAIM_LEASE_MS = 60_000;

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

  constructor(
    private readonly deps: BackgroundDeps,
    private readonly options: BackgroundOptions,
  ) {
    this.actor = { id: SYSTEM_ACTOR_ID, log: deps.log };
    this.task = new PeriodicTask(
      () => observedRun(() => this.tick(), options.onRun),
      (error) => deps.log.warn({ err: error }, "session background work failed"),
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
        for (let next = queue.shift(); next && !this.stopped; next = queue.shift()) await this.work(next);
      };
      await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
      if (due.length < BATCH || this.stopped) break;
    }
    await this.deleteExpiredImages();
  }

  private async work(claimed: SessionRecord): Promise<void> {
    const { sync, cleanup, schedule, clock, log } = this.deps;
    const now = clock.now();
    const lapsed = now >= claimed.authTokenExpiresAt;
    if (claimed.erased) return cleanup.finishErasure(claimed, this.actor);
    let record: SessionRecord | undefined = claimed;
    let failed = false;
    // A long-poll on this replica reads the session already; the watcher's read would only repeat it.
    const watchDue = schedule.watched(claimed, now) && !this.deps.isPolled(claimed.id);
    if (!claimed.decision && claimed.deletedAtFaceAt === undefined && (lapsed || watchDue)) {
      try {
        record = await sync.refresh(claimed, this.actor, { poll: schedule.watched(claimed, now) });
      } catch (error) {
        // Face's bad day (or our quota guard saying no): the next due time tries again.
        log.warn({ err: error, sessionId: claimed.id }, lapsed ? "could not settle a lapsed session" : "the background watcher could not read a session");
        failed = true;
      }
    }
    if (!record) return;
    if (record.decision && (record.faceDeletionDue || (lapsed && schedule.deletesAtLapse(record)))) {
      record = await cleanup.deleteAtFace(record.id, this.actor);
      if (!record) return;
    }
    if (record.decision?.outcome === "expired") {
      const expiresAt = Math.max(record.authTokenExpiresAt, now) + NEVER_STARTED_RETENTION_MS;
      if (expiresAt < record.expiresAt) record = (await this.deps.store.update(record.id, { expiresAt })) ?? record;
    }
    // Nothing above set the next due time (it still holds our lease): set it now.
    if (record.dueAt === claimed.dueAt) await this.reschedule(record, failed);
  }

  /** A failed read backs the watcher off as a quiet poll would; a failed lapse settle is retried later. */
  private async reschedule(record: SessionRecord, failed: boolean): Promise<void> {
    const { store, schedule, clock } = this.deps;
    const now = clock.now();
    const watched = schedule.watched(record, now);
    const watchIntervalMs = watched && failed ? schedule.nextInterval(record, false) : record.watchIntervalMs;
    const next: SessionRecord = { ...record, ...(watchIntervalMs !== undefined && { watchIntervalMs }) };
    delete next.dueAt;
    const dueAt = failed && !watched ? now + schedule.options.retryMs : schedule.dueAt(next, now);
    await store.update(record.id, { dueAt, ...(watchIntervalMs !== undefined && { watchIntervalMs }) });
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
