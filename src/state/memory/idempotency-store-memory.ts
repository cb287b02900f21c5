/**
 * The in-process idempotency store. Entries expire (a pending claim after its lease, a completed one after its
 * retention), lazily on access and by the state's periodic sweep. Holds auth tokens: never log it.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../lib/clock.js";
import type { ClaimResult, IdempotencyEntry, IdempotencyStore, StoredResponse } from "../idempotency-store.js";
import { deleteExpired } from "../../lib/expired-entries.js";

interface Slot {
  entry: IdempotencyEntry;
  /** The owner's claim token while pending. */
  token?: string;
  /** The session a completed entry created. */
  sessionId?: string;
  expiresAt: number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly clock: Clock) {}

  // Every method reads and writes with no await in between: in one process that makes each one atomic.
  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const slot = this.live(key);
    if (slot) return { claimed: false, entry: structuredClone(slot.entry) };
    const token = randomUUID();
    this.slots.set(key, { entry: { state: "pending", fingerprint }, token, expiresAt: this.clock.now() + leaseMs });
    return { claimed: true, token };
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number, sessionId?: string): Promise<boolean> {
    const slot = this.live(key);
    if (slot?.token !== token || slot.entry.state !== "pending") return false;
    const entry: IdempotencyEntry = { state: "completed", fingerprint: slot.entry.fingerprint, response: structuredClone(response) };
    this.slots.set(key, { entry, expiresAt: this.clock.now() + ttlMs, ...(sessionId !== undefined && { sessionId }) });
    return true;
  }

  async forget(key: string, sessionId: string): Promise<boolean> {
    const slot = this.live(key);
    if (!slot || slot.entry.state === "forgotten") return false;
    if (slot.sessionId !== undefined && slot.sessionId !== sessionId) return false;
    this.slots.set(key, { entry: { state: "forgotten" }, expiresAt: slot.expiresAt });
    return true;
  }

  async release(key: string, token: string): Promise<void> {
    if (this.live(key)?.token === token) this.slots.delete(key);
  }

  /** Removes every expired entry; returns how many. */
  sweep(): number {
    return deleteExpired(this.slots, this.clock.now(), (slot) => slot.expiresAt);
  }

  get size(): number {
    return this.slots.size;
  }

  clear(): void {
    this.slots.clear();
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
