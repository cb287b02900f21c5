/**
 * The in-process audit log. Expired trails are dropped lazily on read and by the state's periodic sweep, so memory
 * stays bounded by the live sessions.
 */
import type { Clock } from "../../lib/clock.js";
import { MAX_AUDIT_ENTRIES_PER_SESSION, type AuditEntry, type AuditLog } from "../audit-log.js";
import { deleteExpired } from "../../lib/expired-entries.js";
import { clonePlain } from "../../lib/plain-copy.js";

interface Trail {
  entries: AuditEntry[];
  expiresAt: number;
}

export class MemoryAuditLog implements AuditLog {
  private readonly trails = new Map<string, Trail>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = MAX_AUDIT_ENTRIES_PER_SESSION,
  ) {}

  async append(sessionId: string, entry: AuditEntry, expiresAt: number): Promise<boolean> {
    return this.appendAll(sessionId, [entry], expiresAt) === 1;
  }

  async appendMany(sessionId: string, entries: readonly AuditEntry[], expiresAt: number): Promise<number> {
    return this.appendAll(sessionId, entries, expiresAt);
  }

  private appendAll(sessionId: string, entries: readonly AuditEntry[], expiresAt: number): number {
    if (entries.length === 0) return 0;
    const trail = this.live(sessionId) ?? { entries: [], expiresAt };
    trail.expiresAt = Math.max(trail.expiresAt, expiresAt);
    this.trails.set(sessionId, trail);
    const kept = Math.max(0, Math.min(entries.length, this.maxEntries - trail.entries.length));
    // Copies in and out: neither the appender nor a reader can change an entry once it is in the trail.
    for (let i = 0; i < kept; i += 1) trail.entries.push(clonePlain(entries[i]!));
    return kept;
  }

  async list(sessionId: string, limit: number): Promise<AuditEntry[]> {
    return (this.live(sessionId)?.entries.slice(0, Math.max(0, limit)) ?? []).map(clonePlain);
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    return this.trails.delete(sessionId);
  }

  /** Removes every expired trail; returns how many. */
  sweep(): number {
    return deleteExpired(this.trails, this.clock.now(), (trail) => trail.expiresAt);
  }

  private live(sessionId: string): Trail | undefined {
    const trail = this.trails.get(sessionId);
    if (trail && trail.expiresAt <= this.clock.now()) {
      this.trails.delete(sessionId);
      return undefined;
    }
    return trail;
  }
}
