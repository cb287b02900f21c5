/**
 * Follows unsettled sessions that nobody is polling, so their decision settles (and webhooks go out) without a
 * caller asking. Polls go through SessionSync (one Face read per session at a time, shared with callers and
 * long-polls) and the gateway's quota guard (never above FACE_MAX_TPS); at most `concurrency` at once, each session
 * on its own backoff. Only sessions Face can still change are followed: not settled, token not lapsed (the sweeper
 * takes over then), and not in a final state at Face.
 *
 * Single instance for now: with a shared store, each session would need a lease so that one instance polls it.
 */
import { PeriodicTask } from "../lib/periodic-task.js";
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import { isFinalAtFace, snapshotFingerprint, snapshotOfRecord } from "./session-snapshot.js";
import type { SessionRecord, SessionStore } from "./session-store.js";
import { SYSTEM_ACTOR_ID, type Actor, type SessionSync } from "./session-sync.js";

export interface WatcherOptions {
  /** SESSION_WATCH_INTERVAL_MS: a session's first poll comes this long after its creation; 0 turns the watcher off. */
  intervalMs: number;
  /** SESSION_WATCH_CONCURRENCY: Face reads the watcher may have in flight. */
  concurrency: number;
}

export interface WatcherDeps {
  store: SessionStore;
  sync: SessionSync;
  clock: Clock;
  log: FastifyBaseLogger;
  /** True while a long-poll loop already polls the session. */
  isPolled(id: string): boolean;
}

/** A quiet session is polled ever less often, down to once per 8 intervals; any change resets it. */
const MAX_BACKOFF_FACTOR = 8;
/** How often the watcher looks for due sessions, at most. */
const MAX_TICK_MS = 1000;

interface Schedule {
  nextAt: number;
  intervalMs: number;
  fingerprint: string;
}

export class SessionWatcher {
  private readonly schedules = new Map<string, Schedule>();
  private readonly task: PeriodicTask;
  private stopped = false;
  private readonly actor: Actor;

  constructor(
    private readonly deps: WatcherDeps,
    private readonly options: WatcherOptions,
  ) {
    this.actor = { id: SYSTEM_ACTOR_ID, log: deps.log };
    this.task = new PeriodicTask(
      () => this.tick(),
      (error) => deps.log.warn({ err: error }, "session watcher tick failed"),
    );
  }

  start(): void {
    if (this.options.intervalMs > 0 && !this.stopped) this.task.start(Math.min(this.options.intervalMs, MAX_TICK_MS));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.task.stop();
  }

  /** Polls every due session, `concurrency` at a time. */
  async tick(): Promise<void> {
    const now = this.deps.clock.now();
    const watched = (await this.deps.store.list()).filter((r) => this.watchable(r, now));
    const ids = new Set(watched.map((r) => r.id));
    for (const id of this.schedules.keys()) if (!ids.has(id)) this.schedules.delete(id);
    const due = watched
      .map((record) => ({ record, schedule: this.scheduleOf(record) }))
      .filter(({ record, schedule }) => schedule.nextAt <= now && !this.deps.isPolled(record.id))
      .sort((a, b) => a.schedule.nextAt - b.schedule.nextAt);
    const worker = async () => {
      for (let next = due.shift(); next && !this.stopped; next = due.shift()) await this.poll(next.record.id, next.schedule);
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
  }

  private watchable(record: SessionRecord, now: number): boolean {
    return !record.decision && record.deletedAtFaceAt === undefined && now < record.authTokenExpiresAt && !isFinalAtFace(snapshotOfRecord(record));
  }

  private scheduleOf(record: SessionRecord): Schedule {
    let schedule = this.schedules.get(record.id);
    if (!schedule) {
      const { intervalMs } = this.options;
      schedule = { nextAt: record.createdAt + intervalMs, intervalMs, fingerprint: snapshotFingerprint(snapshotOfRecord(record)) };
      this.schedules.set(record.id, schedule);
    }
    return schedule;
  }

  private async poll(id: string, schedule: Schedule): Promise<void> {
    const { sync, clock, log } = this.deps;
    const record = await sync.refresh(id, this.actor).catch((error: unknown) => {
      // Face's bad day (or our quota guard saying no): the next due time will try again.
      log.warn({ err: error, sessionId: id }, "the session watcher could not read a session");
      return undefined;
    });
    const fingerprint = record ? snapshotFingerprint(snapshotOfRecord(record)) : schedule.fingerprint;
    const base = this.options.intervalMs;
    schedule.intervalMs = fingerprint !== schedule.fingerprint ? base : Math.min(schedule.intervalMs * 2, base * MAX_BACKOFF_FACTOR);
    schedule.fingerprint = fingerprint;
    schedule.nextAt = clock.now() + schedule.intervalMs;
  }
}
