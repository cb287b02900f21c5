/**
 * The in-process lockout store. An entry is dropped once both its lock and its newest failure's window have passed,
 * lazily on read and by the state's periodic sweep, so memory stays bounded by the keys that failed recently.
 */
import type { Clock } from "../../lib/clock.js";
import type { LockoutRule, LockoutState, LockoutStore } from "../lockout-store.js";
import { deleteExpired } from "../../lib/expired-entries.js";

interface Entry {
  /** Failure times, oldest first. */
  failures: number[];
  lockedUntil?: number;
  /** When nothing in the entry can matter any more. */
  expiresAt: number;
}

function stateOf(entry: Entry | undefined, now: number, windowMs: number): LockoutState {
  if (!entry) return { failures: 0 };
  const state: LockoutState = { failures: entry.failures.filter((t) => t > now - windowMs && t <= now).length };
  if (entry.lockedUntil !== undefined && entry.lockedUntil > now) state.lockedUntil = entry.lockedUntil;
  return state;
}

export class MemoryLockoutStore implements LockoutStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  async recordFailure(key: string, at: number, rule: LockoutRule): Promise<LockoutState> {
    const entry = this.live(key) ?? { failures: [], expiresAt: 0 };
    entry.failures = entry.failures.filter((t) => t > at - rule.windowMs);
    entry.failures.push(at);
    if (entry.failures.length >= rule.maxFailures) {
      // A lock spends the budget: after the cool-down the subject starts again with a full one.
      entry.lockedUntil = Math.max(entry.lockedUntil ?? 0, at + rule.cooldownMs);
      entry.failures = [];
    }
    entry.expiresAt = Math.max(entry.lockedUntil ?? 0, (entry.failures.at(-1) ?? 0) + rule.windowMs);
    this.entries.set(key, entry);
    return stateOf(entry, at, rule.windowMs);
  }

  async get(key: string, windowMs: number): Promise<LockoutState> {
    const now = this.clock.now();
    return stateOf(this.live(key), now, windowMs);
  }

  async clear(key: string): Promise<boolean> {
    const had = this.live(key) !== undefined;
    this.entries.delete(key);
    return had;
  }

  /** Removes every entry that can no longer matter; returns how many. */
  sweep(): number {
    return deleteExpired(this.entries, this.clock.now(), (entry) => entry.expiresAt);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
