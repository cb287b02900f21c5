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

/** The entries of one session waiting for their write, in emit order, and that write. */
interface Batch {
  items: Array<{ event: SessionEvent; entry: AuditEntry }>;
  written: Promise<void>;
}

export function auditRecorder({ audit, sessions, logger }: AuditRecorderDeps): SessionEventListener {
  /**
   * Per session, the batch not yet being written (its entries join it) and the last write: a session's writes run
   * one after another, in emit order (the bus calls listeners in that order, but two writes in flight at once could
   * land the other way round). A create's two events (created, tokenIssued) thus cost one read of the record.
   */
  const open = new Map<string, Batch>();
  const tails = new Map<string, Promise<void>>();

  const write = async (sessionId: string, items: Batch["items"]): Promise<void> => {
    let stored: number;
    try {
      // The record gives the trail its retention. Without one (the caller's DELETE forgot it, or it expired) the
      // trail can never be read again: it is forgotten now rather than left to its expiry.
      // Read-only: only its expiry is read, so the memory store need not copy the record.
      const record = await sessions.get(sessionId, { readOnly: true });
      if (!record) {
        await audit.deleteSession(sessionId);
        return;
      }
      // The whole batch in one store call; the trail keeps its first entries, so the dropped ones are the last.
      stored = await audit.appendMany(
        sessionId,
        items.map((item) => item.entry),
        record.expiresAt,
      );
    } catch (error) {
      for (const { event } of items) logger.warn({ err: error, sessionId, event: event.type }, "could not append to the audit trail");
      return;
    }
    for (const { event } of items.slice(stored)) logger.warn({ sessionId, event: event.type }, "audit trail full; entry dropped");
  };

  return (event) => {
    // Checked against the response schema now, so a malformed event costs one entry, never a failing read later.
    const parsed = safeEntry(event);
    if (!parsed.ok) {
      logger.warn({ sessionId: event.sessionId, event: event.type, problem: parsed.problem }, "audit entry refused");
      return;
    }
    const { sessionId } = event;
    const waiting = open.get(sessionId);
    if (waiting) {
      waiting.items.push({ event, entry: parsed.entry });
      return waiting.written;
    }
    const items = [{ event, entry: parsed.entry }];
    const previous = tails.get(sessionId) ?? Promise.resolve();
    const written: Promise<void> = previous.then(() => {
      // From here on the batch is being written: later entries start the next one.
      open.delete(sessionId);
      return write(sessionId, items);
    });
    open.set(sessionId, { items, written });
    tails.set(sessionId, written);
    void written.finally(() => {
      if (tails.get(sessionId) === written) tails.delete(sessionId);
    });
    return written;
  };
}

/**
 * Whether the schema check could refuse the entry at all. toAuditEntry builds most fields so that they pass by
 * construction (ISO dates from a helper that throws on a bad date, identifiers or nothing, the event's own type),
 * so the entries made only of those skip zod's walk, which cost a create more than the rest of its audit trail:
 * tokenIssued and the image and deletion events always, created unless it carries consent evidence (whose kind is
 * then checked here). Every other entry is checked by the schema.
 */
function validByConstruction(event: SessionEvent, entry: AuditEntry): boolean {
  switch (event.type) {
    case "tokenIssued":
    case "deletedAtFace":
    case "imageRetained":
    case "imageDeleted":
      return true;
    case "created":
      return entry.consent === undefined && (entry.kind === "liveness" || entry.kind === "livenessWithVerify");
    default:
      return false;
  }
}

function safeEntry(event: SessionEvent): { ok: true; entry: AuditEntry } | { ok: false; problem: string } {
  try {
    const entry = toAuditEntry(event);
    if (validByConstruction(event, entry)) return { ok: true, entry };
    const result = auditEntrySchema.safeParse(entry);
    // Only the failing paths are logged, never the values (which could be what made it fail).
    return result.success ? { ok: true, entry: result.data } : { ok: false, problem: result.error.issues.map((i) => i.path.join(".")).join(",") };
  } catch {
    return { ok: false, problem: "unreadable event" };
  }
}
