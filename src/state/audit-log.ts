/**
 * Where audit trails live. Redis: a list per session, append = RPUSH + LTRIM 0 cap-1 + PEXPIREAT … GT in one
 * MULTI, list = LRANGE 0 limit-1, deleteSession = DEL. Append-only by design: there is no way to change or remove
 * one entry, only to forget a whole trail when its session's retention ends.
 *
 * A trail lives as long as the session record it belongs to: each append passes the record's expiresAt, and the
 * trail's expiry only ever moves later, so it never lapses before the record that makes it readable.
 *
 * AuditEntry is declared here as a plain type so this layer does not import audit/; audit/audit-schemas.ts holds
 * the zod schema that publishes it and checks at compile time that the two agree.
 */
import type { SessionKind } from "../face/face-gateway.js";
import type { ConsentEvidence, DecisionOutcome, DigestCheck } from "./session-record.js";

/** What one erasure by subject removed (its receipt's counts). */
export interface ErasureCounts {
  sessions: number;
  images: number;
  faceDeletions: number;
  faceDeletionsPending: number;
}

/**
 * The most entries one session keeps. A session's story is a handful of events plus webhook retries; the cap keeps
 * a misbehaving emitter from growing one trail without bound. The first entries are kept (the story's beginning).
 */
export const MAX_AUDIT_ENTRIES_PER_SESSION = 200;

export const auditEventTypes = [
  "created",
  "tokenIssued",
  "attemptSeen",
  "decided",
  "webhookDelivered",
  "webhookFailed",
  "deletedAtFace",
  "imageRetained",
  "imageDeleted",
  "subjectErased",
] as const;
export type AuditEventType = (typeof auditEventTypes)[number];

export interface AuditEntry {
  /** ISO 8601 */
  at: string;
  event: AuditEventType;
  actor: string;
  faceRequestId?: string | undefined;
  modelVersion?: string | undefined;
  kind?: SessionKind | undefined;
  callbackOrigin?: string | undefined;
  tokenExpiresAt?: string | undefined;
  attemptId?: number | undefined;
  attemptStatus?: string | undefined;
  outcome?: DecisionOutcome | undefined;
  reasons?: Array<{ code: string; faceCode?: string | undefined }> | undefined;
  digestCheck?: DigestCheck | undefined;
  webhookId?: string | undefined;
  webhookAttempt?: number | undefined;
  httpStatus?: number | undefined;
  final?: boolean | undefined;
  errorCode?: string | undefined;
  retainUntil?: string | undefined;
  /** created: the consent evidence given on create. */
  consent?: ConsentEvidence | undefined;
  /** subjectErased: what was removed. */
  erased?: ErasureCounts | undefined;
  /** subjectErased: HMAC-SHA256 of the subject under a server secret, never the subject itself. */
  subjectHmac?: string | undefined;
}

/** The audit stream of a client's erasure receipts (not a session id: GUIDs have no ':'). */
export const erasureReceiptStream = (clientId: string): string => `erasures:${clientId}`;

export interface AuditLog {
  /** Adds an entry at the end; false when the trail is full and the entry was dropped. */
  append(sessionId: string, entry: AuditEntry, expiresAt: number): Promise<boolean>;
  /**
   * Adds entries at the end in their order, as that many appends would (one store call for a session's batch);
   * answers how many were kept: the first ones, up to the cap, the rest dropped.
   */
  appendMany(sessionId: string, entries: readonly AuditEntry[], expiresAt: number): Promise<number>;
  /** The first `limit` entries, oldest first; empty when there is no trail (or it expired). */
  list(sessionId: string, limit: number): Promise<AuditEntry[]>;
  /** Forgets the whole trail (retention, erasure); true when there was one. */
  deleteSession(sessionId: string): Promise<boolean>;
}
