/**
 * The in-process idempotency store: right for one instance and for tests. Entries expire (a pending claim after
 * its lease, a completed one after its retention), lazily on access and by a periodic sweep, so memory stays
 * bounded by the creates of the last 24 hours. Holds auth tokens (see session-idempotency-store.ts): never log it.
 */
import { randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../lib/clock.js";
import type { ClaimResult, IdempotencyEntry, IdempotencyStore, StoredCreateResponse } from "./session-idempotency-store.js";

const SWEEP_INTERVAL_MS = 60_000;

interface Slot {
  entry: IdempotencyEntry;
  /** The owner's claim token while pending. */
  token?: string;
  expiresAt: number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly slots = new Map<string, Slot>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock = systemClock) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // The sweep must never keep a process alive that is otherwise done.
    this.sweeper.unref();
  }

  // Every method reads and writes with no await in between: in one process that makes each one atomic.
  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const slot = this.live(key);
    if (slot) return { claimed: false, entry: structuredClone(slot.entry) };
    const token = randomUUID();
    this.slots.set(key, { entry: { state: "pending", fingerprint }, token, expiresAt: this.clock.now() + leaseMs });
    return { claimed: true, token };
  }

  async complete(key: string, token: string, response: StoredCreateResponse, ttlMs: number): Promise<boolean> {
    const slot = this.live(key);
    if (slot?.token !== token) return false;
    const entry: IdempotencyEntry = { state: "completed", fingerprint: slot.entry.fingerprint, response: structuredClone(response) };
    this.slots.set(key, { entry, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async release(key: string, token: string): Promise<void> {
    if (this.live(key)?.token === token) this.slots.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.slots.clear();
  }

  /** Removes every expired entry; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [key, slot] of this.slots) {
      if (slot.expiresAt <= now) {
        this.slots.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  get size(): number {
    return this.slots.size;
  }

  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot && slot.expiresAt <= this.clock.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot;
  }
}
