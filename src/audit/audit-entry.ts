/**
 * SessionEvent → AuditEntry, by an allow-list per event type: each case copies the fields it names and nothing
 * else, so a field added to an event later (or a secret attached by mistake) never reaches the trail unseen.
 * Free-text values are kept only when they look like identifiers: an error message or URL that slips into a code
 * field is dropped rather than stored.
 */
import type { SessionEvent } from "../state/session-events.js";
import type { AuditEntry } from "../state/audit-log.js";
import type { DecisionReason } from "../state/session-record.js";

/** Ids, codes and versions: no spaces, slashes, '?', '=' or '@', so no sentence, URL or query string fits. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

const identifier = (value: string | undefined): string | undefined => (value !== undefined && IDENTIFIER.test(value) ? value : undefined);

/**
 * A webhook failure as a short code: the text itself may name the receiver's host or URL. "network error:
 * ECONNREFUSED" → ECONNREFUSED, "timeout: no answer within 5000 ms" → timeout, "refused target: …" → refused-target.
 */
function errorCodeOf(error: string | undefined): string | undefined {
  if (error === undefined) return undefined;
  // "<category>: <detail>", where the detail is kept only when it is an errno code (the whole of it).
  const match = /^([A-Za-z][A-Za-z ]{0,31}): (E[A-Z]{2,30}$)?/.exec(error);
  if (!match?.[1]) return identifier(error);
  return match[2] ?? match[1].trim().toLowerCase().replace(/ +/g, "-");
}

/** The response schema declares integers; anything else would turn a read of the trail into a 500. */
const integer = (value: number | undefined): number | undefined => (Number.isInteger(value) ? value : undefined);

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** The advice text is for the end user and may be long prose; the codes tell the story. */
function reasonOf(reason: DecisionReason): { code: string; faceCode?: string } {
  const code = identifier(reason.code) ?? "UNKNOWN";
  const faceCode = identifier(reason.faceCode);
  return faceCode === undefined ? { code } : { code, faceCode };
}

/** Only scheme, host and port: paths and query strings of callback URLs often carry the receiver's secrets. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const { origin } = new URL(url);
  return origin === "null" ? undefined : origin;
}

/** Drops undefined values so the stored JSON holds only what is known. */
function compact(entry: AuditEntry): AuditEntry {
  // A key loop into a fresh object: a fraction of Object.entries/filter/fromEntries' cost, and no delete (which
  // would leave the entry a slow dictionary-mode object for the copy and JSON encoding after it).
  const out: Record<string, unknown> = {};
  for (const key in entry) {
    const value = entry[key as keyof AuditEntry];
    if (value !== undefined) out[key] = value;
  }
  return out as unknown as AuditEntry;
}

/** The fields every entry starts with, without an undefined faceRequestId: the entries built on it need no compact. */
function baseOf(event: SessionEvent): AuditEntry {
  const base: AuditEntry = { at: iso(event.at), event: event.type, actor: identifier(event.actor) ?? "unknown" };
  const faceRequestId = identifier(event.faceRequestId);
  if (faceRequestId !== undefined) base.faceRequestId = faceRequestId;
  return base;
}

export function toAuditEntry(event: SessionEvent): AuditEntry {
  const base = baseOf(event);
  switch (event.type) {
    // A create's two entries are built with only their defined fields (in the order compact would leave them).
    case "created": {
      base.kind = event.kind;
      const callbackOrigin = originOf(event.callbackUrl);
      if (callbackOrigin !== undefined) base.callbackOrigin = callbackOrigin;
      if (event.consent !== undefined) base.consent = { ...event.consent };
      return base;
    }
    case "tokenIssued":
      base.tokenExpiresAt = iso(event.authTokenExpiresAt);
      return base;
    case "attemptSeen":
      return compact({ ...base, attemptId: integer(event.attemptId), attemptStatus: identifier(event.attemptStatus), modelVersion: identifier(event.modelVersion) });
    case "decided":
      return compact({
        ...base,
        outcome: event.decision.outcome,
        reasons: event.decision.reasons.map(reasonOf),
        digestCheck: event.digestCheck,
        modelVersion: identifier(event.modelVersion),
      });
    case "webhookDelivered":
      return compact({ ...base, webhookId: identifier(event.webhookId), webhookAttempt: integer(event.attempt), httpStatus: integer(event.status) });
    case "webhookFailed":
      return compact({
        ...base,
        webhookId: identifier(event.webhookId),
        webhookAttempt: integer(event.attempt),
        final: event.final,
        httpStatus: integer(event.status),
        errorCode: errorCodeOf(event.error),
      });
    case "imageRetained":
      return compact({ ...base, retainUntil: iso(event.retainUntil) });
    case "deletedAtFace":
    case "imageDeleted":
      return base;
  }
}
