/**
 * The audit trail's subscription to the session event bus: one entry per event, appended after the fact. Nothing
 * here can fail or slow the request behind an event: the bus runs listeners on their own, and a failing append is
 * logged as a warning and dropped (an audit gap is visible in the logs; a failed create would be worse).
 */
import type { Logger } from "../logger.js";
import type { SessionEvent, SessionEventListener } from "../state/session-events.js";
import type { SessionStore } from "../state/session-store.js";
import type { AuditEntry, AuditLog } from "../state/audit-log.js";
import { toAuditEntry } from "./audit-entry.js";
import { auditEntrySchema } from "./audit-schemas.js";

export interface AuditRecorderDeps {
  audit: AuditLog;
  /** The session records, for the retention each trail shares with its record. */
  sessions: Pick<SessionStore, "get">;
  logger: Pick<Logger, "warn">;
}

export function auditRecorder({ audit, sessions, logger }: AuditRecorderDeps): SessionEventListener {
  /**
   * Appends for one session run one after another, in emit order: the bus starts listeners in that order, but two
   * appends in flight at once (each awaiting the store first) could land the other way round.
   */
  const tails = new Map<string, Promise<void>>();

  const write = async (event: SessionEvent, entry: AuditEntry): Promise<void> => {
    try {
      // The record gives the trail its retention. Without one (the caller's DELETE forgot it, or it expired) the
      // trail can never be read again: it is forgotten now rather than left to its expiry.
      const record = await sessions.get(event.sessionId);
      if (!record) {
        await audit.deleteSession(event.sessionId);
        return;
      }
      const stored = await audit.append(event.sessionId, entry, record.expiresAt);
      if (!stored) logger.warn({ sessionId: event.sessionId, event: event.type }, "audit trail full; entry dropped");
    } catch (error) {
      logger.warn({ err: error, sessionId: event.sessionId, event: event.type }, "could not append to the audit trail");
    }
  };

  return (event) => {
    // Checked against the response schema now, so a malformed event costs one entry, never a failing read later.
    const parsed = safeEntry(event);
    if (!parsed.ok) {
      logger.warn({ sessionId: event.sessionId, event: event.type, problem: parsed.problem }, "audit entry refused");
      return;
    }
    const previous = tails.get(event.sessionId) ?? Promise.resolve();
    const next: Promise<void> = previous.then(() => write(event, parsed.entry));
    tails.set(event.sessionId, next);
    void next.finally(() => {
      if (tails.get(event.sessionId) === next) tails.delete(event.sessionId);
    });
    return next;
  };
}

function safeEntry(event: SessionEvent): { ok: true; entry: AuditEntry } | { ok: false; problem: string } {
  try {
    const result = auditEntrySchema.safeParse(toAuditEntry(event));
    // Only the failing paths are logged, never the values (which could be what made it fail).
    return result.success ? { ok: true, entry: result.data } : { ok: false, problem: result.error.issues.map((i) => i.path.join(".")).join(",") };
  } catch {
    return { ok: false, problem: "unreadable event" };
  }
}
