/**
 * The in-process store: right for one instance and for tests. Expired records are dropped lazily on read and by a
 * periodic sweep, so memory stays bounded by the number of live sessions.
 */
import { systemClock, type Clock } from "../lib/clock.js";
import type { SessionRecord, SessionRecordPatch, SessionStore, Settlement } from "./session-store.js";

const SWEEP_INTERVAL_MS = 60_000;

export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock = systemClock) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // The sweep must never keep a process alive that is otherwise done.
    this.sweeper.unref();
  }

  async put(record: SessionRecord): Promise<void> {
    this.records.set(record.id, { ...record });
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const record = this.live(id);
    return record && { ...record };
  }

  async update(id: string, patch: SessionRecordPatch): Promise<SessionRecord | undefined> {
    // Synchronous read-modify-write, so a concurrent markOutcomeCounted is never overwritten with a stale copy.
    const current = this.live(id);
    if (!current) return undefined;
    const next = { ...current, ...patch };
    this.records.set(id, next);
    return { ...next };
  }

  async markOutcomeCounted(id: string, at: number): Promise<boolean> {
    // Read and write with no await between them: that is what makes this a compare-and-set in one process.
    const current = this.live(id);
    if (!current || current.outcomeCountedAt !== undefined) return false;
    this.records.set(id, { ...current, outcomeCountedAt: at });
    return true;
  }

  async settle(id: string, settlement: Settlement): Promise<SessionRecord | undefined> {
    const current = this.live(id);
    if (!current || current.decision !== undefined) return undefined;
    const next = { ...current, ...settlement };
    this.records.set(id, next);
    return { ...next };
  }

  async list(): Promise<SessionRecord[]> {
    this.sweep();
    return [...this.records.values()].map((record) => ({ ...record }));
  }

  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** The stored record itself (not a copy), unless absent or expired; synchronous, so callers can compare-and-set. */
  private live(id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    if (record && record.expiresAt <= this.clock.now()) {
      this.records.delete(id);
      return undefined;
    }
    return record;
  }

  /** Removes every expired record; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [id, record] of this.records) {
      if (record.expiresAt <= now) {
        this.records.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}
