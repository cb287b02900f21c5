/**
 * Long-poll (GET …?waitSeconds=N): every waiter on one session shares one poll loop, so Face sees one read per
 * interval however many callers wait. The interval backs off from 0.5 s to 4 s and resets when the session changes;
 * a settled decision (from this loop, the watcher or /complete) wakes the loop at once. On close, every waiter is
 * let go, so no request outlives the app.
 */
import type { FastifyBaseLogger } from "fastify";
import { snapshotFingerprint, snapshotOfRecord } from "./session-snapshot.js";
import type { Actor, SessionSync } from "./session-sync.js";

export interface PollIntervals {
  minMs: number;
  maxMs: number;
}

export const LONG_POLL_INTERVALS: PollIntervals = { minMs: 500, maxMs: 4000 };

interface Loop {
  waiters: Set<() => void>;
  /** Cuts the loop's current sleep short. */
  wake?: () => void;
}

export class SessionPollHub {
  private readonly loops = new Map<string, Loop>();
  private closed = false;

  constructor(
    private readonly sync: SessionSync,
    private readonly log: FastifyBaseLogger,
    private readonly intervals: PollIntervals = LONG_POLL_INTERVALS,
  ) {}

  /** Requests waiting now, and the sessions they wait on (metrics). */
  get counts(): { waiters: number; sessions: number } {
    let waiters = 0;
    for (const loop of this.loops.values()) waiters += loop.waiters.size;
    return { waiters, sessions: this.loops.size };
  }

  isPolling(id: string): boolean {
    return this.loops.has(id);
  }

  /** Resolves when the session settles or disappears, after `waitMs`, or when the app closes. */
  wait(id: string, actor: Actor, waitMs: number): Promise<void> {
    if (this.closed || waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const loop = this.loops.get(id) ?? this.startLoop(id, actor);
      const done = () => {
        clearTimeout(timer);
        loop.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      loop.waiters.add(done);
    });
  }

  /** Something changed outside the loop (a decision settled): poll now rather than at the end of the sleep. */
  notify(id: string): void {
    this.loops.get(id)?.wake?.();
  }

  close(): void {
    this.closed = true;
    for (const loop of this.loops.values()) {
      for (const release of [...loop.waiters]) release();
      loop.wake?.();
    }
  }

  private startLoop(id: string, actor: Actor): Loop {
    const loop: Loop = { waiters: new Set() };
    this.loops.set(id, loop);
    void this.run(id, actor, loop);
    return loop;
  }

  private async run(id: string, actor: Actor, loop: Loop): Promise<void> {
    let interval = this.intervals.minMs;
    let fingerprint: string | undefined;
    // The loop's Face reads are logged under the hub, not under whichever request happened to start it.
    const loopActor: Actor = { id: actor.id, log: this.log };
    for (;;) {
      await this.sleep(loop, interval);
      // Checked with no await before the delete, so a waiter can never join a loop that is ending.
      if (this.closed || loop.waiters.size === 0) break;
      let record;
      try {
        record = await this.sync.refreshById(id, loopActor);
      } catch (error) {
        this.log.warn({ err: error, sessionId: id }, "long-poll could not read the session; retrying");
        interval = Math.min(interval * 2, this.intervals.maxMs);
        continue;
      }
      if (!record || record.decision) {
        for (const release of [...loop.waiters]) release();
        break;
      }
      const next = snapshotFingerprint(snapshotOfRecord(record));
      interval = fingerprint !== undefined && next !== fingerprint ? this.intervals.minMs : Math.min(interval * 2, this.intervals.maxMs);
      fingerprint = next;
    }
    this.loops.delete(id);
  }

  private sleep(loop: Loop, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        delete loop.wake;
        resolve();
      }, ms);
      loop.wake = () => {
        clearTimeout(timer);
        delete loop.wake;
        resolve();
      };
    });
  }
}
