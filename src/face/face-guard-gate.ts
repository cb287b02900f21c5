/**
 * The one gate every call to Face passes on its way to the shared quota. In front of the shared token bucket
 * (face-guard-quota.ts, which every replica takes from) each process keeps one queue per priority, served strictly
 * in priority order and, within a priority, one client at a time in turn (face-guard-fair-queue.ts). One pump per
 * process asks the bucket for the most urgent queued call; a refusal says when a token is due, and the pump sleeps
 * until then. Background reads also draw on a lane of their own, so they never use more than their share.
 *
 * The Face lane holds half a token more than the burst, and only creates may spend it: every other call must leave
 * it in the lane. Reads that keep the quota busy (a tenant's long-polls, the watcher) would otherwise spend every
 * token the moment it is due, and a create arriving just after one would wait a whole interval for the next; with
 * the reserve the create goes at once half the time and waits at most half an interval. Half a token, not a whole
 * one, so no second holds more calls than before (burst + maxTps, rounded down); reads pay for it by going half an
 * interval after a create, or after Face's pause ends.
 *
 * A call that could not get through within its bound is refused at once with the wait it would have needed; one
 * whose bound passes while it waits (other replicas take tokens too) is refused then.
 *
 * A create that finds the gate idle (nothing queued, no known wait) asks the bucket itself from the head of the
 * queue: most creates then cost one take, not a waiter's timer and a turn of the pump.
 */
import type { Clock } from "../lib/clock.js";
import { faceCallPriorities, type FaceCallPriority } from "./face-gateway.js";
import { FairQueue } from "./face-guard-fair-queue.js";
import { unavailable, type Sleep } from "./face-guard-policy.js";
import { PAUSE_HOLD, type QuotaBucket, type QuotaGrant, type QuotaHold, type QuotaLane } from "./face-guard-quota.js";

export interface GateSettings {
  maxTps: number;
  burst: number;
  backgroundShare: number;
  maxQueue: number;
  maxWaitMs: number;
}

/** The shared bucket and the Face resource (its host) whose quota it counts. */
export interface GateQuota {
  bucket: QuotaBucket;
  resource: string;
}

export type GateRefusal = "queueFull" | "waitTooLong" | "closed" | "quotaUnavailable";

/** Who is asking: the queue the call waits in, and the client it is fair to. */
export interface GateTicket {
  priority: FaceCallPriority;
  clientId: string;
}

/** What the gate reports to the guard's counters. */
export interface GateEvents {
  refused(reason: GateRefusal): void;
  held(by: QuotaHold): void;
  granted(priority: FaceCallPriority): void;
  quotaError(error: unknown): void;
}

/** The bucket's lanes: every call draws on the Face resource's lane; background reads on their own lane too. */
export const FACE_LANE = "face";
export const BACKGROUND_LANE = "background";

interface Waiter {
  ticket: GateTicket;
  deadline: number;
  resolve(): void;
  /** An AppError of the guard's, or the bucket's own error (a state outage keeps its code). */
  reject(error: unknown): void;
  /** Cancels the waiter's deadline timer once it leaves the queue; made with the timer (a direct take has none). */
  done?: AbortController;
}

/**
 * The reason a waiter's controller is aborted with once it leaves the queue. Only the deadline timer listens, and it
 * ignores the reason; abort() without one builds a DOMException (stack trace included) for every call that passes.
 */
const LEFT_QUEUE = "left the queue";

/** The part of the Face lane only creates may spend (see the header). */
const CREATE_RESERVE = 0.5;

/** How long a caller refused for want of the shared bucket (Redis unreachable) is told to wait. */
const QUOTA_UNAVAILABLE_WAIT_MS = 1000;

export class FaceQuotaGate {
  private readonly queues: Record<FaceCallPriority, FairQueue<Waiter>>;
  private readonly lanes: Record<"create" | "caller" | "background", QuotaLane[]>;
  private readonly intervalMs: number;
  private readonly backgroundIntervalMs: number;
  /** Face's pause, as last learnt (from our own 429 or from the bucket, when another replica set it). */
  private notBefore = 0;
  /** When the bucket said its next token is due; for the waits quoted to new callers. */
  private nextTokenAt = 0;
  private pumping = false;
  /** A take is in flight for the call at the head: it is at the bucket, no longer waiting in line. */
  private asking = false;
  private snooze: AbortController | undefined;
  private heldBy: QuotaHold | undefined;
  /** The priority of the call the pump is asking for or sleeping on. */
  private servingFor: FaceCallPriority | undefined;
  /** A create that found the gate idle is at the bucket (see takeDirectly); the pump waits for its answer. */
  private takingDirectly = false;
  private closed = false;

  constructor(
    private readonly settings: GateSettings,
    private readonly quota: GateQuota,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    private readonly events: GateEvents,
    /** Each client's weight in its turns (CALLER_POLICIES faceQuotaWeight); 1 for every client by default. */
    weightOf?: (clientId: string) => number,
  ) {
    this.queues = Object.fromEntries(faceCallPriorities.map((p) => [p, new FairQueue<Waiter>(weightOf)])) as Record<FaceCallPriority, FairQueue<Waiter>>;
    const backgroundTps = settings.maxTps * settings.backgroundShare;
    // One lane, two views of it: creates may spend its last half token, every other call must leave it there.
    const face: QuotaLane = { name: FACE_LANE, ratePerSec: settings.maxTps, burst: settings.burst + CREATE_RESERVE };
    const faceLeavingReserve: QuotaLane = { ...face, reserve: CREATE_RESERVE };
    // Background reads never need a burst: one token at a time keeps them at their share in every window.
    const background: QuotaLane = { name: BACKGROUND_LANE, ratePerSec: backgroundTps, burst: 1 };
    this.lanes = { create: [face], caller: [faceLeavingReserve], background: [faceLeavingReserve, background] };
    this.intervalMs = 1000 / settings.maxTps;
    this.backgroundIntervalMs = 1000 / backgroundTps;
  }

  get queueLength(): number {
    return faceCallPriorities.reduce((sum, p) => sum + this.queues[p].size, 0);
  }

  get queued(): Record<FaceCallPriority, number> {
    return Object.fromEntries(faceCallPriorities.map((p) => [p, this.queues[p].size])) as Record<FaceCallPriority, number>;
  }

  /** Epoch ms before which nothing is sent (Face's last Retry-After); 0 when none is pending. */
  get pausedUntil(): number {
    return this.notBefore > this.clock.now() ? this.notBefore : 0;
  }

  /** Resolves when the caller may send one request; rejects (503 + Retry-After) when it could not in time. */
  acquire(ticket: GateTicket, maxWaitMs = this.settings.maxWaitMs): Promise<void> {
    if (this.closed) return this.refuse("closed", QUOTA_UNAVAILABLE_WAIT_MS);
    if (this.settings.maxQueue === 0) return this.takeOnce(ticket);
    const now = this.clock.now();
    if (ticket.priority === "create" && this.idle(now)) return this.takeDirectly(ticket, now + maxWaitMs);
    const wait = this.estimate(ticket, now);
    if (this.queueLength - (this.asking ? 1 : 0) >= this.settings.maxQueue) return this.refuse("queueFull", wait);
    if (wait > maxWaitMs) return this.refuse("waitTooLong", wait);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { ticket, deadline: now + maxWaitMs, resolve, reject };
      this.queues[ticket.priority].push(ticket.clientId, waiter);
      this.armDeadline(waiter);
      if (this.maySkipTheWait(ticket.priority)) this.snooze?.abort();
      // A direct take in flight starts the pump when it is answered: the call at its head is served first.
      if (!this.takingDirectly) void this.pump();
    });
  }

  /**
   * Face said "not before `forMs` from now": hold every call, on every replica, until then. Queued calls that can no
   * longer make their deadline are refused now with the remaining wait. Returns whether the pause grew.
   */
  async pause(forMs: number): Promise<boolean> {
    try {
      const { grew, until } = await this.quota.bucket.pause(this.quota.resource, forMs);
      this.learnPause(until);
      return grew;
    } catch (error) {
      // The shared pause is out of reach: this process holds off on its own at least.
      this.events.quotaError(error);
      return this.learnPause(this.clock.now() + forMs);
    }
  }

  /** Refuses every queued call and stops the timers; later calls are refused too. */
  close(): void {
    this.closed = true;
    this.snooze?.abort();
    this.refuseAll("closed", QUOTA_UNAVAILABLE_WAIT_MS);
  }

  /**
   * Nothing queued, no pump, neither Face's pause nor a known wait for the next token: a create (the most urgent
   * kind of call) then has nobody to go after.
   */
  private idle(now: number): boolean {
    return !this.pumping && this.queueLength === 0 && now >= this.notBefore && now >= this.nextTokenAt;
  }

  /**
   * A create's way through an idle gate: it takes its place at the head of the queue and asks the bucket itself,
   * without the deadline timer and the pump a waiting call costs. Calls that come meanwhile queue behind it. Held,
   * it learns the wait as the pump would, arms its deadline and hands over to the pump, which serves it first.
   */
  private takeDirectly(ticket: GateTicket, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { ticket, deadline, resolve, reject };
      const queue = this.queues[ticket.priority];
      queue.push(ticket.clientId, waiter);
      this.takingDirectly = true;
      this.asking = true;
      // The two answers clear the flags each on its own: a shared closure would be one more allocation per create.
      this.quota.bucket.take(this.quota.resource, this.lanes.create).then(
        (grant) => {
          this.takingDirectly = false;
          this.asking = false;
          // Still queued unless close() or Face's pause refused it meanwhile.
          if (grant.granted && queue.remove(ticket.clientId, waiter)) {
            this.events.granted(ticket.priority);
            resolve();
          } else if (!grant.granted) {
            this.learnHold(grant);
            this.armDeadline(waiter);
          }
          if (this.queueLength > 0) void this.pump();
        },
        (error: unknown) => {
          this.takingDirectly = false;
          this.asking = false;
          this.bucketFailed(error);
        },
      );
    });
  }

  /** The wait a new call would have: Face's pause or the next token, then one interval per call served before it. */
  private estimate(ticket: GateTicket, now: number): number {
    let higher = 0;
    for (const p of faceCallPriorities) {
      if (p === ticket.priority) break;
      higher += this.queues[p].size;
    }
    const own = this.queues[ticket.priority].aheadOf(ticket.clientId);
    const base = Math.max(now, this.notBefore, this.nextTokenAt) - now;
    const wait = base + (higher + own) * this.intervalMs;
    return ticket.priority === "background" ? Math.max(wait, base + own * this.backgroundIntervalMs) : wait;
  }

  private refuse(reason: GateRefusal, waitMs: number): Promise<never> {
    this.events.refused(reason);
    return Promise.reject(unavailable(waitMs));
  }

  /** FACE_MAX_QUEUE=0: no waiting at all; a call the bucket cannot serve now is refused at once. */
  private async takeOnce(ticket: GateTicket): Promise<void> {
    const now = this.clock.now();
    if (now < this.notBefore) return this.refuse("queueFull", this.notBefore - now);
    let grant;
    try {
      grant = await this.quota.bucket.take(this.quota.resource, this.lanesOf(ticket.priority));
    } catch (error) {
      this.events.quotaError(error);
      this.events.refused("quotaUnavailable");
      // The state's own error (503 LSO_ERR_STATE_UNAVAILABLE): Face is not the one that is away.
      return Promise.reject(error);
    }
    if (grant.granted) return this.events.granted(ticket.priority);
    this.events.held(grant.heldBy);
    if (grant.heldBy === PAUSE_HOLD) this.learnPause(now + grant.retryInMs);
    return this.refuse("queueFull", grant.retryInMs);
  }

  private lanesOf(priority: FaceCallPriority): QuotaLane[] {
    if (priority === "create") return this.lanes.create;
    return priority === "background" ? this.lanes.background : this.lanes.caller;
  }

  /**
   * Whether a call just queued may go before the pump's current wait ends: the pump sleeps on the background lane
   * (only background reads draw on it), or on the create reserve a create may spend.
   */
  private maySkipTheWait(priority: FaceCallPriority): boolean {
    if (this.servingFor === undefined || this.heldBy === undefined || this.heldBy === PAUSE_HOLD) return false;
    if (priority !== "background" && this.heldBy === BACKGROUND_LANE) return true;
    return priority === "create" && this.servingFor !== "create";
  }

  /** One loop per process while anything is queued: ask the bucket for the most urgent call, or sleep until it may. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let priority = this.nextPriority(); priority && !this.closed; priority = this.nextPriority()) {
        const now = this.clock.now();
        if (now < this.notBefore) {
          await this.snoozeFor(this.notBefore - now);
          continue;
        }
        this.asking = true;
        this.servingFor = priority;
        let grant;
        try {
          grant = await this.quota.bucket.take(this.quota.resource, this.lanesOf(priority));
        } catch (error) {
          this.bucketFailed(error);
          continue;
        } finally {
          this.asking = false;
        }
        if (grant.granted) {
          this.release(priority);
          continue;
        }
        this.learnHold(grant);
        this.heldBy = grant.heldBy;
        await this.snoozeFor(grant.retryInMs);
        this.heldBy = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** What a refused take tells every later call: Face's pause, or when the bucket's next token comes. */
  private learnHold(grant: Extract<QuotaGrant, { granted: false }>): void {
    this.events.held(grant.heldBy);
    const at = this.clock.now() + grant.retryInMs;
    if (grant.heldBy === PAUSE_HOLD) this.learnPause(at);
    else this.nextTokenAt = at;
  }

  /**
   * Without the shared bucket no replica can tell what Face would allow: every waiting call is refused rather than
   * guessed at, with the state's own error (503 LSO_ERR_STATE_UNAVAILABLE), since Face is not the one that is away.
   */
  private bucketFailed(error: unknown): void {
    this.events.quotaError(error);
    this.refuseAll("quotaUnavailable", QUOTA_UNAVAILABLE_WAIT_MS, error);
  }

  private nextPriority(): FaceCallPriority | undefined {
    return faceCallPriorities.find((p) => this.queues[p].size > 0);
  }

  /**
   * Hands the token to the most urgent call queued now (one may have arrived while the bucket answered), among those
   * the take's lanes allowed: a token taken without the background lane never goes to a background read (that
   * would pass the background share), and one taken for a create (which may spend the reserve) only to a create.
   */
  private release(takenFor: FaceCallPriority): void {
    for (const p of faceCallPriorities) {
      if (p === "background" && takenFor !== "background") return;
      const waiter = this.queues[p].shift();
      if (waiter) {
        waiter.done?.abort(LEFT_QUEUE);
        this.events.granted(p);
        waiter.resolve();
        return;
      }
      if (takenFor === "create") return;
    }
  }

  /** A waiter may still be served at its deadline itself: it is refused only once the deadline has passed. */
  private armDeadline(waiter: Waiter): void {
    const done = new AbortController();
    waiter.done = done;
    void this.sleep(waiter.deadline + 1 - this.clock.now(), done.signal).then(() => {
      if (done.signal.aborted || !this.queues[waiter.ticket.priority].remove(waiter.ticket.clientId, waiter)) return;
      waiter.done?.abort(LEFT_QUEUE);
      this.events.refused("waitTooLong");
      const now = this.clock.now();
      waiter.reject(unavailable(Math.max(this.notBefore, this.nextTokenAt, now + this.intervalMs) - now));
    });
  }

  /** Records Face's pause; queued calls whose deadline comes before it ends are refused now. */
  private learnPause(until: number): boolean {
    if (until <= this.notBefore) return false;
    this.notBefore = until;
    const now = this.clock.now();
    for (const p of faceCallPriorities) {
      for (const waiter of this.queues[p].drain()) {
        if (waiter.deadline >= until) {
          this.queues[p].push(waiter.ticket.clientId, waiter);
          continue;
        }
        waiter.done?.abort(LEFT_QUEUE);
        this.events.refused("waitTooLong");
        waiter.reject(unavailable(until - now));
      }
    }
    return true;
  }

  private refuseAll(reason: GateRefusal, waitMs: number, cause?: unknown): void {
    for (const p of faceCallPriorities) {
      for (const waiter of this.queues[p].drain()) {
        waiter.done?.abort(LEFT_QUEUE);
        this.events.refused(reason);
        waiter.reject(cause ?? unavailable(waitMs));
      }
    }
  }

  private async snoozeFor(ms: number): Promise<void> {
    const wake = new AbortController();
    this.snooze = wake;
    await this.sleep(Math.max(1, Math.ceil(ms)), wake.signal);
    if (this.snooze === wake) this.snooze = undefined;
  }
}
