/**
 * Where audit trails live, behind an interface a Redis backend can implement one round trip each: a trail is a
 * list per session (`audit:{sessionId}`), append = RPUSH + LTRIM 0 cap-1 + PEXPIREAT … GT in one MULTI, list =
 * LRANGE 0 limit-1, deleteSession = DEL. Append-only by design: there is no way to change or remove one entry, only
 * to forget a whole trail when its session's retention ends.
 *
 * A trail lives as long as the session record it belongs to: each append passes the record's expiresAt, and the
 * trail's expiry only ever moves later (GT), so it never lapses before the record that makes it readable.
 */
import type { AuditEntry } from "./audit-schemas.js";

/**
 * The most entries one session keeps. A session's story is a handful of events plus webhook retries; the cap keeps
 * a misbehaving emitter from growing one trail without bound. The first entries are kept (the story's beginning).
 */
export const MAX_AUDIT_ENTRIES_PER_SESSION = 200;

export interface AuditLog {
  /** Adds an entry at the end; false when the trail is full and the entry was dropped. */
  append(sessionId: string, entry: AuditEntry, expiresAt: number): Promise<boolean>;
  /** The first `limit` entries, oldest first; empty when there is no trail (or it expired). */
  list(sessionId: string, limit: number): Promise<AuditEntry[]>;
  /** Forgets the whole trail (retention, erasure); true when there was one. */
  deleteSession(sessionId: string): Promise<boolean>;
  close(): Promise<void>;
}
