/**
 * Long-poll (GET …?waitSeconds=N): every waiter on one session, on every replica, shares one upstream poll loop, so
 * Face sees one read per interval however many callers wait and wherever they are. The interval backs off from
 * 0.5 s to 4 s and resets when the session changes.
 *
 * Each replica with waiters on a session runs one loop for it. The loop holding the session's poll lease
 * ("poll:<id>") is the poller: it reads Face and publishes on "sessions:changed" when the view changed (a settled
 * decision is announced on "sessions:settled" by the app). The other replicas' loops are followers: they re-read
 * the record (never Face) when signalled and every minimum interval, and try for the lease each time, so when the
 * poller dies its lease lapses and a follower takes over. A poller that runs out of waiters keeps the lease until its own
 * next poll would have been due, so whoever follows polls no sooner than it would have; a crashed poller's lease
 * lapses LEASE_SLACK_MS later still. On close, every waiter is let go, so no request outlives the app.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import type { LeaseStore } from "../state/lease-store.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import type { SignalBus } from "../state/signal-bus.js";
import { snapshotFingerprint, snapshotOfRecord } from "./session-snapshot.js";
import type { Actor, SessionSync } from "./session-sync.js";

export interface PollIntervals {
  minMs: number;
  maxMs: number;
}

export const LONG_POLL_INTERVALS: PollIntervals = { minMs: 500, maxMs: 4000 };

/** Published by the poller with the session id when the session's view changed: followers re-read the record. */
export const CHANGED_CHANNEL = "sessions:changed";

/**
 * What a poller's lease outlasts its next poll by: room for one slow Face read (its timeout and a quota wait), so a
 * live poller is not taken over while it waits on Face. Also how much later than its next poll a crashed poller is
 * replaced.
 */
const LEASE_SLACK_MS = 10_000;

const leaseName = (id: string) => `poll:${id}`;

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
  waiters: Set<() => void>;
  /** Cuts the loop's current sleep short (a signal arrived). */
  wake?: () => void;
}

export class SessionPollHub {
  private readonly loops = new Map<string, Loop>();
  /** Every loop's run, to the end of its lease hand-over: awaited on close, before the state closes. */
  private readonly runs = new Set<Promise<void>>();
  private readonly intervals: PollIntervals;
  private closed = false;

  constructor(private readonly deps: PollHubDeps) {
    this.intervals = deps.intervals ?? LONG_POLL_INTERVALS;
  }

  /** Requests waiting now, and the sessions they wait on (metrics). */
  get counts(): { waiters: number; sessions: number } {
    let waiters = 0;
    for (const loop of this.loops.values()) waiters += loop.waiters.size;
    return { waiters, sessions: this.loops.size };
  }

  /** Resolves when the session settles or disappears, after `waitMs`, or when the app closes. */
  wait(id: string, actor: Actor, waitMs: number): Promise<void> {
    if (this.closed || waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const existing = this.loops.get(id);
      const loop: Loop = existing ?? { waiters: new Set() };
      const done = () => {
        clearTimeout(timer);
        loop.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      loop.waiters.add(done);
      // Started once the waiter is in: a loop with no waiters ends at its first step.
      if (!existing) this.startLoop(id, actor, loop);
    });
  }

  /** The session changed or settled (a signal from any replica): waiters here re-read it now. */
  notify(id: string): void {
    this.loops.get(id)?.wake?.();
  }

  /**
   * For the background watcher: true when nobody in the cluster polls the session, and then the watcher holds the
   * poll lease for one minimum interval, so a long-poll starting meanwhile does not read Face right after it.
   */
  async mayWatch(id: string): Promise<boolean> {
    return (await this.deps.leases.acquire(leaseName(id), `${this.deps.holder}:watch`, this.intervals.minMs)) !== undefined;
  }

  /** Lets every waiter go; stopped() then resolves once every loop has handed its lease over. */
  close(): void {
    this.closed = true;
    for (const loop of this.loops.values()) {
      for (const release of [...loop.waiters]) release();
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
    // The loop's Face reads are logged under the hub, not under whichever request happened to start it.
    const loopActor: Actor = { id: actor.id, log };
    let interval = this.intervals.minMs;
    let fingerprint: string | undefined;
    let polling = false;
    let lastPollAt: number | undefined;
    let settled = false;
    // Real time, as the sleeps are: when this loop next reads (Face as the poller, the record as a follower).
    let dueAt = 0;
    for (;;) {
      // Checked with no await before the delete below, so a waiter can never join a loop that is ending.
      if (this.closed || loop.waiters.size === 0) break;
      const due = Date.now() >= dueAt;
      let record: SessionRecord | undefined;
      try {
        if (due) polling = await this.takeTurn(id, polling, interval);
        record = due && polling ? await sync.refreshById(id, loopActor) : await store.get(id);
        if (due && polling) lastPollAt = clock.now();
      } catch (error) {
        log.warn({ err: error, sessionId: id }, "long-poll could not read the session; retrying");
        interval = Math.min(interval * 2, this.intervals.maxMs);
        dueAt = Date.now() + interval;
        await this.sleepUntil(loop, dueAt);
        continue;
      }
      if (!record || record.decision) {
        settled = true;
        for (const release of [...loop.waiters]) release();
        break;
      }
      if (due) {
        const next = snapshotFingerprint(snapshotOfRecord(record));
        const changed = fingerprint !== undefined && next !== fingerprint;
        // The first read sets the baseline: the second comes one minimum interval later. Only the poller backs off
        // (a follower's reads cost no Face call); a follower that takes over starts at its own pace.
        const backOff = polling && !changed && fingerprint !== undefined;
        interval = backOff ? Math.min(interval * 2, this.intervals.maxMs) : changed ? this.intervals.minMs : interval;
        fingerprint = next;
        // A follower looks again (and tries for the lease) at the fastest pace: a store read, never Face.
        dueAt = Date.now() + (polling ? interval : this.intervals.minMs);
        if (changed && polling) await this.publishChange(id);
      }
      await this.sleepUntil(loop, dueAt);
    }
    this.loops.delete(id);
    if (polling) await this.handOver(id, settled ? undefined : lastPollAt, interval);
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
