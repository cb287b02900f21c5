/**
 * Long-poll (GET …?waitSeconds=N): every waiter on one session, on every replica, shares one upstream poll loop, so
 * Face sees one read per interval however many callers wait and wherever they are. Each waiter says what counts as
 * news to it (a view other than the one its caller holds) and is let go on the first read that brings it.
 *
 * The pace follows what Face says of the device: while the session is NotStarted no attempt can land before Face
 * first says Running, so reads back off from 1 s to 4 s (a person takes longer than the gap between starting the
 * check and finishing it); once the device is under way an attempt may land at any moment, so it is read every
 * second, and a waiter hears of it within about a second. A Face read of the session made here by anyone else (a
 * caller's GET or /complete) counts as the loop's own, so the two never read one after the other; and a read of a
 * session changed or created within the interval waits for the rest of it.
 *
 * Each replica with waiters on a session runs one loop for it. The loop holding the session's poll lease
 * ("poll:<id>") is the poller: it reads Face and publishes on "sessions:changed" when the view changed (a settled
 * decision is announced on "sessions:settled" by the app). The other replicas' loops are followers: they re-read
 * the record (never Face) when signalled and every minimum interval, and try for the lease each time, so when the
 * poller dies its lease lapses and a follower takes over. A poller that runs out of waiters keeps the lease until its own
 * next poll would have been due, so whoever follows polls no sooner than it would have; a crashed poller's lease
 * lapses LEASE_SLACK_MS later still. A loop whose waiters all left stays (reading nothing) until its next read was
 * due, so a caller that comes straight back (having been answered a change) joins the same pace instead of causing
 * a read of its own. On close, every waiter is let go, so no request outlives the app.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import type { LeaseStore } from "../state/lease-store.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import type { SignalBus } from "../state/signal-bus.js";
import { snapshotFingerprint, snapshotOfRecord } from "./session-snapshot.js";
import type { Actor, SessionSync } from "./session-sync.js";

export interface PollIntervals {
  /** A follower's pace (store reads only), and how long the watcher's read keeps a long-poll off Face. */
  minMs: number;
  /** The poller's pace while the device is under way (Running): the longest an attempt waits to be seen. */
  activeMs: number;
  /** The poller's longest gap while the device has not started (NotStarted), doubling from activeMs. */
  maxMs: number;
}

export const LONG_POLL_INTERVALS: PollIntervals = { minMs: 500, activeMs: 1000, maxMs: 4000 };

/** True when the session, as just read, is news to this waiter: its caller is then answered. */
export type WaiterCheck = (record: SessionRecord) => boolean;

/** Published by the poller with the session id when the session's view changed: followers re-read the record. */
export const CHANGED_CHANNEL = "sessions:changed";

/**
 * What a poller's lease outlasts its next poll by: room for one slow Face read (its timeout and a quota wait), so a
 * live poller is not taken over while it waits on Face. Also how much later than its next poll a crashed poller is
 * replaced.
 */
export const LEASE_SLACK_MS = 10_000;

/** The session's poll lease: whoever holds it reads Face for the session (a long-poll loop, or the watcher). */
export const leaseName = (id: string) => `poll:${id}`;

export interface PollHubDeps {
  sync: SessionSync;
  store: SessionStore;
  leases: LeaseStore;
  signals: SignalBus;
  clock: Clock;
  log: FastifyBaseLogger;
  /** This replica's name as a lease holder: unique per running app. */
  holder: string;
  intervals?: PollIntervals;
}

interface Loop {
  /** Each waiter's release, with what counts as news to it. */
  waiters: Map<() => void, WaiterCheck | undefined>;
  /** Cuts the loop's current sleep short (a signal arrived). */
  wake?: () => void;
  /** When someone else here last read the session at Face (real time): the loop's next read counts from it. */
  readElsewhereAt?: number;
}

export class SessionPollHub {
  private readonly loops = new Map<string, Loop>();
  /** Every loop's run, to the end of its lease hand-over: awaited on close, before the state closes. */
  private readonly runs = new Set<Promise<void>>();
  private readonly intervals: PollIntervals;
  private closed = false;

  constructor(private readonly deps: PollHubDeps) {
    this.intervals = deps.intervals ?? LONG_POLL_INTERVALS;
    deps.sync.onFaceRead((id) => this.readElsewhere(id));
  }

  /** Requests waiting now, and the sessions they wait on (metrics). */
  get counts(): { waiters: number; sessions: number } {
    let waiters = 0;
    let sessions = 0;
    for (const loop of this.loops.values()) {
      waiters += loop.waiters.size;
      if (loop.waiters.size) sessions += 1;
    }
    return { waiters, sessions };
  }

  /**
   * Resolves when the session settles or disappears, when a read of it satisfies `isNews`, after `waitMs`, or when
   * the app closes.
   */
  wait(id: string, actor: Actor, waitMs: number, isNews?: WaiterCheck): Promise<void> {
    if (this.closed || waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const existing = this.loops.get(id);
      const loop: Loop = existing ?? { waiters: new Map() };
      const done = () => {
        clearTimeout(timer);
        loop.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      loop.waiters.set(done, isNews);
      // Started once the waiter is in: a loop with no waiters ends at its first step.
      if (!existing) this.startLoop(id, actor, loop);
    });
  }

  /** The session changed or settled (a signal from any replica): waiters here re-read it now. */
  notify(id: string): void {
    this.loops.get(id)?.wake?.();
  }

  /** A caller changed the session here without settling it (a client digest): waiters on every replica re-read it. */
  async changed(id: string): Promise<void> {
    this.notify(id);
    await this.publishChange(id);
  }

  /** Someone here read the session at Face: a loop on it takes that read for its own, and re-reads the record. */
  private readElsewhere(id: string): void {
    const loop = this.loops.get(id);
    if (!loop) return;
    loop.readElsewhereAt = Date.now();
    loop.wake?.();
  }

  /**
   * For the background watcher: true when nobody in the cluster polls the session, and then the watcher holds the
   * poll lease for one active interval, so a long-poll starting meanwhile does not read Face right after it.
   */
  async mayWatch(id: string): Promise<boolean> {
    return (await this.deps.leases.acquire(leaseName(id), `${this.deps.holder}:watch`, this.intervals.activeMs)) !== undefined;
  }

  /** Lets every waiter go; stopped() then resolves once every loop has handed its lease over. */
  close(): void {
    this.closed = true;
    for (const loop of this.loops.values()) {
      for (const release of [...loop.waiters.keys()]) release();
      loop.wake?.();
    }
  }

  async stopped(): Promise<void> {
    while (this.runs.size) await Promise.allSettled([...this.runs]);
  }

  private startLoop(id: string, actor: Actor, loop: Loop): void {
    this.loops.set(id, loop);
    const run = this.run(id, actor, loop).finally(() => this.runs.delete(run));
    this.runs.add(run);
  }

  private async run(id: string, actor: Actor, loop: Loop): Promise<void> {
    const { sync, store, clock, log } = this.deps;
    const { minMs, activeMs } = this.intervals;
    // The loop's Face reads are logged under the hub, not under whichever request happened to start it.
    const loopActor: Actor = { id: actor.id, log };
    let interval = activeMs;
    let fingerprint: string | undefined;
    let polling = false;
    let lastPollAt: number | undefined;
    let settled = false;
    // Real time, as the sleeps are: when this loop next reads (Face as the poller, the record as a follower). Unset
    // until the first look at the record, which sets it (firstDueAt).
    let dueAt: number | undefined;
    for (;;) {
      if (this.closed) break;
      if (loop.readElsewhereAt !== undefined) {
        // Someone here just read Face for this session: our next read counts from theirs.
        if (dueAt !== undefined) dueAt = Math.max(dueAt, loop.readElsewhereAt + interval);
        delete loop.readElsewhereAt;
      }
      // Checked with no await before the delete below, so a waiter can never join a loop that is ending.
      if (loop.waiters.size === 0) {
        if (dueAt === undefined || Date.now() >= dueAt) break;
        // Nobody waits: keep the pace (reading nothing) until the next read was due, for a caller coming back.
        await this.sleepUntil(loop, dueAt);
        continue;
      }
      const due = dueAt !== undefined && Date.now() >= dueAt;
      let record: SessionRecord | undefined;
      try {
        if (due) polling = await this.takeTurn(id, polling, interval);
        // Under the poll lease: the watcher's schedule is left alone (it defers to the lease, see session-background.ts).
        record = due && polling ? await sync.refreshById(id, loopActor, { pollLease: true }) : await store.get(id);
        if (due && polling) {
          lastPollAt = clock.now();
          // Our own read came back through onFaceRead too; it is not someone else's.
          delete loop.readElsewhereAt;
        }
      } catch (error) {
        log.warn({ err: error, sessionId: id }, "long-poll could not read the session; retrying");
        interval = Math.min(interval * 2, this.intervals.maxMs);
        dueAt = Date.now() + interval;
        await this.sleepUntil(loop, dueAt);
        continue;
      }
      if (!record || record.decision) {
        settled = true;
        for (const release of [...loop.waiters.keys()]) release();
        break;
      }
      this.releaseNews(loop, record);
      if (dueAt === undefined) {
        dueAt = this.firstDueAt(record);
        await this.sleepUntil(loop, dueAt);
        continue;
      }
      const next = snapshotFingerprint(snapshotOfRecord(record));
      const changed = fingerprint !== undefined && next !== fingerprint;
      if (due || changed) {
        // Only the poller backs off (a follower's reads cost no Face call); a follower that takes over starts anew.
        interval = this.nextInterval(record, interval, fingerprint === undefined || changed);
        fingerprint = next;
        // A follower looks again (and tries for the lease) at the fastest pace: a store read, never Face.
        if (due) dueAt = polling ? Date.now() + interval : Date.now() + minMs;
        else if (polling && lastPollAt !== undefined) dueAt = Math.min(dueAt, Date.now() + interval);
        if (changed && polling) await this.publishChange(id);
      }
      await this.sleepUntil(loop, dueAt);
    }
    this.loops.delete(id);
    if (polling) await this.handOver(id, settled ? undefined : lastPollAt, interval);
  }

  /** Lets go every waiter to whom the session as read is news. */
  private releaseNews(loop: Loop, record: SessionRecord): void {
    for (const [release, isNews] of [...loop.waiters]) {
      if (isNews?.(record)) release();
    }
  }

  /**
   * The poller's next gap: every activeMs once the device is under way (an attempt may land at any moment), else
   * from activeMs doubling to maxMs while nothing changes (no attempt can land before Face says Running).
   */
  private nextInterval(record: SessionRecord, interval: number, fresh: boolean): number {
    const { activeMs, maxMs } = this.intervals;
    if (snapshotOfRecord(record).status !== "NotStarted") return activeMs;
    return fresh ? activeMs : Math.min(interval * 2, maxMs);
  }

  /** Real time of the loop's first read: at once, unless the session was read (or created) within activeMs. */
  private firstDueAt(record: SessionRecord): number {
    const sinceChecked = this.deps.clock.now() - record.lastCheckedAt;
    return Date.now() + Math.max(0, Math.min(this.intervals.activeMs, this.intervals.activeMs - sinceChecked));
  }

  /** Holds (or takes) the poll lease through the next poll and one slow Face read; false while another holds it. */
  private async takeTurn(id: string, polling: boolean, interval: number): Promise<boolean> {
    const { leases, holder } = this.deps;
    const ttl = interval + LEASE_SLACK_MS;
    if (polling && (await leases.renew(leaseName(id), holder, ttl))) return true;
    return (await leases.acquire(leaseName(id), holder, ttl)) !== undefined;
  }

  private async publishChange(id: string): Promise<void> {
    try {
      await this.deps.signals.publish(CHANGED_CHANNEL, id);
    } catch (error) {
      // A lost signal only delays followers until their own next read.
      this.deps.log.warn({ err: error, sessionId: id }, "could not signal a session change");
    }
  }

  /**
   * Leaving: the lease is kept until this poller's next poll would have been due (so the next poller keeps the
   * pace), or released at once when the session settled or that time has passed.
   */
  private async handOver(id: string, lastPollAt: number | undefined, interval: number): Promise<void> {
    const { leases, holder, clock, log } = this.deps;
    const rest = lastPollAt === undefined ? 0 : lastPollAt + interval - clock.now();
    try {
      if (rest > 0) await leases.acquire(leaseName(id), holder, rest);
      else await leases.release(leaseName(id), holder);
    } catch (error) {
      log.warn({ err: error, sessionId: id }, "could not hand the long-poll lease over; it lapses by itself");
    }
  }

  private sleepUntil(loop: Loop, at: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          delete loop.wake;
          resolve();
        },
        Math.max(0, at - Date.now()),
      );
      loop.wake = () => {
        clearTimeout(timer);
        delete loop.wake;
        resolve();
      };
    });
  }
}
