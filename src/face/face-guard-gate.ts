/**
 * The one gate every call to Face passes: a token bucket (Face's quota is per resource, so one bucket for all
 * operations), a bounded FIFO queue in front of it, and a shared "not before" instant set from Face's Retry-After.
 * A call that could not get through within its bound is refused at once, with the wait it would have needed.
 */
import type { AppError } from "../errors.js";
import type { Clock } from "../lib/clock.js";
import { unavailable, type Sleep } from "./face-guard-policy.js";

export interface GateSettings {
  maxTps: number;
  burst: number;
  maxQueue: number;
  maxWaitMs: number;
}

export type GateRefusal = "queueFull" | "waitTooLong" | "closed";

interface Waiter {
  deadline: number;
  resolve(): void;
  reject(error: AppError): void;
}

/** Fractional tokens accrue continuously; this absorbs floating-point dust so a due token is never missed. */
const EPSILON = 1e-9;

export class FaceRateGate {
  private tokens: number;
  private refilledAt: number;
  private notBefore = 0;
  private readonly queue: Waiter[] = [];
  private readonly perMs: number;
  private wake: AbortController | undefined;
  private closed = false;

  constructor(
    private readonly settings: GateSettings,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    private readonly onRefusal: (reason: GateRefusal) => void,
  ) {
    this.perMs = settings.maxTps / 1000;
    this.tokens = settings.burst;
    this.refilledAt = clock.now();
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Epoch ms before which nothing is sent (Face's last Retry-After); 0 when none is pending. */
  get pausedUntil(): number {
    return this.notBefore > this.clock.now() ? this.notBefore : 0;
  }

  /** Resolves when the caller may send one request; rejects at once (503 + Retry-After) when it could not in time. */
  acquire(maxWaitMs = this.settings.maxWaitMs): Promise<void> {
    if (this.closed) return this.refuse("closed", 1000);
    const now = this.clock.now();
    this.refill(now);
    if (this.queue.length === 0 && now >= this.notBefore && this.tokens + EPSILON >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    const wait = this.grantTime(this.queue.length + 1, now) - now;
    if (this.queue.length >= this.settings.maxQueue) return this.refuse("queueFull", wait);
    if (wait > maxWaitMs) return this.refuse("waitTooLong", wait);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ deadline: now + maxWaitMs, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Face said "not before `until`": hold every call until then. Queued calls that can no longer make their deadline
   * are refused now with the remaining wait, rather than left to time out. Returns whether the pause grew.
   */
  pauseUntil(until: number): boolean {
    if (until <= this.notBefore) return false;
    const now = this.clock.now();
    this.refill(now);
    this.notBefore = until;
    // Resume with one call and then the steady rate: a full burst into a Face that just throttled us would earn
    // another 429. Tokens start accruing so that exactly one is due at `until`.
    this.tokens = 0;
    this.refilledAt = Math.max(now, until - 1 / this.perMs);
    const kept: Waiter[] = [];
    for (const waiter of this.queue.splice(0)) {
      const at = this.grantTime(kept.length + 1, now);
      if (at > waiter.deadline) {
        this.onRefusal("waitTooLong");
        waiter.reject(unavailable(at - now));
      } else kept.push(waiter);
    }
    this.queue.push(...kept);
    this.schedule();
    return true;
  }

  /** Refuses every queued call and stops the timer; later calls are refused too. */
  close(): void {
    this.closed = true;
    this.wake?.abort();
    for (const waiter of this.queue.splice(0)) {
      this.onRefusal("closed");
      waiter.reject(unavailable(1000));
    }
  }

  private refuse(reason: GateRefusal, waitMs: number): Promise<never> {
    this.onRefusal(reason);
    return Promise.reject(unavailable(waitMs));
  }

  private refill(now: number): void {
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.settings.burst, this.tokens + (now - this.refilledAt) * this.perMs);
    this.refilledAt = now;
  }

  /** When the n-th call from now (1-based, FIFO) can go: enough tokens accrued, and Face's pause is over. */
  private grantTime(n: number, now: number): number {
    this.refill(now);
    const need = n - this.tokens;
    const base = Math.max(now, this.refilledAt);
    return Math.max(need <= EPSILON ? base : base + need / this.perMs, this.notBefore);
  }

  /** Releases whoever is due, then sleeps until the next head of the queue is; one timer for the whole queue. */
  private schedule(): void {
    this.wake?.abort();
    this.wake = undefined;
    const now = this.clock.now();
    this.refill(now);
    while (this.queue.length > 0 && now >= this.notBefore && this.tokens + EPSILON >= 1) {
      this.tokens -= 1;
      this.queue.shift()?.resolve();
    }
    if (this.closed || this.queue.length === 0) return;
    const wake = new AbortController();
    this.wake = wake;
    const delay = Math.max(1, Math.ceil(this.grantTime(1, now) - now));
    void this.sleep(delay, wake.signal).then(() => {
      if (this.wake === wake) this.schedule();
    });
  }
}
