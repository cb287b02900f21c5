/**
 * The in-process audit log: right for one instance and for tests. Expired trails are dropped lazily on read and by
 * a periodic sweep, as MemorySessionStore does with records, so memory stays bounded by the live sessions.
 */
import { systemClock, type Clock } from "../lib/clock.js";
import { MAX_AUDIT_ENTRIES_PER_SESSION, type AuditLog } from "./audit-log.js";
import type { AuditEntry } from "./audit-schemas.js";

const SWEEP_INTERVAL_MS = 60_000;

interface Trail {
  entries: AuditEntry[];
  expiresAt: number;
}

export class MemoryAuditLog implements AuditLog {
  private readonly trails = new Map<string, Trail>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly maxEntries = MAX_AUDIT_ENTRIES_PER_SESSION,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // The sweep must never keep a process alive that is otherwise done.
    this.sweeper.unref();
  }

  async append(sessionId: string, entry: AuditEntry, expiresAt: number): Promise<boolean> {
    const trail = this.live(sessionId) ?? { entries: [], expiresAt };
    trail.expiresAt = Math.max(trail.expiresAt, expiresAt);
    this.trails.set(sessionId, trail);
    if (trail.entries.length >= this.maxEntries) return false;
    // Copies in and out: neither the appender nor a reader can change an entry once it is in the trail.
    trail.entries.push(structuredClone(entry));
    return true;
  }

  async list(sessionId: string, limit: number): Promise<AuditEntry[]> {
    return (this.live(sessionId)?.entries.slice(0, Math.max(0, limit)) ?? []).map((entry) => structuredClone(entry));
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    return this.trails.delete(sessionId);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private live(sessionId: string): Trail | undefined {
    const trail = this.trails.get(sessionId);
    if (trail && trail.expiresAt <= this.clock.now()) {
      this.trails.delete(sessionId);
      return undefined;
    }
    return trail;
  }

  /** Removes every expired trail; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [sessionId, trail] of this.trails) {
      if (trail.expiresAt <= now) {
        this.trails.delete(sessionId);
        removed += 1;
      }
    }
    return removed;
  }
}
