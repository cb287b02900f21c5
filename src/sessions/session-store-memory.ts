/**
 * The in-process store: right for one instance and for tests. Expired records are dropped lazily on read and by a
 * periodic sweep, so memory stays bounded by the number of live sessions.
 */
import { systemClock, type Clock } from "../lib/clock.js";
import { SessionListIndex } from "../state/memory/session-list-index.js";
import type { SessionListQuery, SessionRecord, SessionRecordPatch, SessionStore, Settlement } from "./session-store.js";

const SWEEP_INTERVAL_MS = 60_000;

export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private readonly index = new SessionListIndex();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock = systemClock) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // The sweep must never keep a process alive that is otherwise done.
    this.sweeper.unref();
  }

  async put(record: SessionRecord): Promise<void> {
    const previous = this.records.get(record.id);
    if (previous) this.index.remove(previous);
    this.records.set(record.id, { ...record });
    this.index.add(record);
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

  async listByClient(query: SessionListQuery): Promise<SessionRecord[]> {
    const page: SessionRecord[] = [];
    for (const id of this.index.walk(query)) {
      if (page.length >= query.limit) break;
      // live() drops an expired record and its index entry; the walk goes downwards, so the entries still ahead of it
      // (below the removed one) keep their places.
      const record = this.live(id);
      if (record) page.push({ ...record });
    }
    return page;
  }

  async delete(id: string): Promise<boolean> {
    const record = this.records.get(id);
    if (record) this.index.remove(record);
    return this.records.delete(id);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** The stored record itself (not a copy), unless absent or expired; synchronous, so callers can compare-and-set. */
  private live(id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    if (record && record.expiresAt <= this.clock.now()) {
      this.forget(record);
      return undefined;
    }
    return record;
  }

  private forget(record: SessionRecord): void {
    this.records.delete(record.id);
    this.index.remove(record);
  }

  /** Removes every expired record; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const record of this.records.values()) {
      if (record.expiresAt <= now) {
        this.forget(record);
        removed += 1;
      }
    }
    return removed;
  }
}
