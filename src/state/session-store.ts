/**
 * What this service remembers about a session, and the interface every backend implements. Routes and the service
 * see only this interface. Records hold no secrets and no biometrics: no auth token, no image, no Face key, no face
 * rectangle.
 *
 * Background work (the watcher's next poll, settling a lapsed session, retrying a failed Face deletion) is found
 * through an index on `dueAt`, never by listing every record: memory keeps a sorted structure, Redis a ZSET.
 */
import type { FaceOperationState, SessionKind } from "../face/face-gateway.js";
import type { ConsentEvidence, Decision, DigestCheck, SessionSnapshot } from "./session-record.js";

export interface SessionRecord {
  id: string;
  kind: SessionKind;
  /** The caller that created it; every other caller gets 404. */
  clientId: string;
  subject?: string;
  deviceCorrelationId?: string;
  enableSessionImage: boolean;
  createdAt: number;
  authTokenExpiresAt: number;
  /** When the record itself may be forgotten. */
  expiresAt: number;
  lastKnownStatus: FaceOperationState;
  lastCheckedAt: number;
  /** When a failed outcome of this session was counted towards a lockout; set once, so it is counted once. */
  outcomeCountedAt?: number;
  /** Where the session.decided webhook goes. Its query may hold the receiver's token: never log it. */
  callbackUrl?: string;
  /** The caller's consent evidence, when given on create. */
  consent?: ConsentEvidence;
  /** The client-scoped Idempotency-Key that created it, so an erasure can drop the stored response (and its token). */
  idempotencyKey?: string;
  /**
   * Erased by subject while Face still had to confirm its deletion: a tombstone holding only what the retry needs
   * (no subject, device id, consent, digest or snapshot). Reads answer 404; the background loop deletes it at Face
   * and then forgets it.
   */
  erased?: boolean;
  /** Hex SHA-256 of the reference image we sent (verify sessions); Face's verifyImageHash must equal it. */
  verifyImageSha256?: string;
  /** The digest the device SDK gave the caller's app, as the caller passed it. Not a secret; kept out of info logs. */
  clientDigest?: string;
  /**
   * Face's view at lastCheckedAt, trimmed; what GET serves once Face has forgotten the session. Absent only on
   * records written before there were snapshots.
   */
  snapshot?: SessionSnapshot;
  /** The highest attemptId an attemptSeen event was emitted for. */
  lastAttemptSeen?: number;
  /** Set once, by settle(), when the outcome became final; never changes after. */
  decision?: Decision;
  digestCheck?: DigestCheck;
  /** When a caller first received the settled decision (a GET or /complete answer). */
  decisionReadAt?: number;
  /** When a webhook carrying this session's news was delivered. */
  webhookDeliveredAt?: number;
  /** When the session was deleted at Face (or found gone there). */
  deletedAtFaceAt?: number;
  /** When its session image, which the client wanted kept, could not be: the image store was full. */
  imageNotRetainedAt?: number;
  /** A deletion at Face was wanted and failed; background work retries it when dueAt comes. */
  faceDeletionDue?: boolean;
  /** When background work is next due for this session (epoch ms); absent when none is. Indexed: see claimDue. */
  dueAt?: number;
  /** The watcher's current poll interval for this session (its backoff); absent until the first poll. */
  watchIntervalMs?: number;
  /**
   * How many times claimDue has taken this record (1, 2, ...): the number a worker got is its fencing token. Its
   * fenced writes are refused once a later claim took the record over (its lease lapsed), so a replica that stalled
   * past its lease cannot overwrite the work of the one that took over.
   */
  claim?: number;
}

type PatchableField =
  | "lastKnownStatus"
  | "lastCheckedAt"
  | "expiresAt"
  | "clientDigest"
  | "snapshot"
  | "lastAttemptSeen"
  | "decisionReadAt"
  | "webhookDeliveredAt"
  | "deletedAtFaceAt"
  | "imageNotRetainedAt"
  | "faceDeletionDue"
  | "watchIntervalMs";

/** The fields a patch may set; `dueAt: null` removes the record from the due index. */
export type SessionRecordPatch = Partial<Pick<SessionRecord, PatchableField>> & { dueAt?: number | null };

/** A background worker's proof that its claim on the record is still the latest (see SessionRecord.claim). */
export interface ClaimFence {
  claim: number;
}

export interface Settlement {
  decision: Decision;
  digestCheck: DigestCheck;
  /**
   * The time the decision's failed outcome was counted towards a lockout, when it counts: set with the decision
   * (a decision settles once, so its outcome is counted once), unless outcomeCountedAt was set already.
   */
  outcomeCountedAt?: number;
}

/**
 * One batch of a client's sessions from the per-client index, newest first by (createdAt, id). Filters the index
 * itself can answer live here; the rest (kind, outcome) are the caller's to apply to what comes back.
 */
export interface SessionListQuery {
  clientId: string;
  /** Only this subject's sessions (its own index: memory keeps an array, Redis a sorted set per client and subject). */
  subject?: string | undefined;
  /** createdAt >= createdFrom (epoch ms). */
  createdFrom?: number | undefined;
  /** createdAt < createdTo (epoch ms). */
  createdTo?: number | undefined;
  /** Resume strictly after this position: the last record of the previous batch. */
  after?: SessionListPosition | undefined;
  limit: number;
}

export interface SessionListPosition {
  createdAt: number;
  id: string;
}

/** What admitLive answers: a slot was taken, or the client is at its cap and one frees at `freesAt` at the latest. */
export type LiveAdmission = { admitted: true } | { admitted: false; freesAt: number };

export interface ReadOptions {
  /** The caller only reads the record (and what it spreads into new objects): no copy is needed. */
  readOnly?: boolean;
}

export interface SessionStore {
  /**
   * Writes the whole record (and indexes its dueAt, when set). `releaseLive`: a create's ticket (admitLive), whose
   * slot is given back in the same write as the record takes its own (a create's store call fewer; no moment when
   * both count).
   */
  put(record: SessionRecord, options?: { releaseLive?: string }): Promise<void>;
  /**
   * Undefined when absent or past its expiresAt. The record is the caller's own copy, unless it asks for a
   * read-only one: then the memory store hands out the record it holds (frozen, so a change throws rather than
   * reaching the store) instead of copying it on every read; Redis decodes a fresh one either way.
   */
  get(id: string, options?: ReadOptions): Promise<SessionRecord | undefined>;
  /**
   * Applies the patch and returns the new record, or undefined when the record is gone. With a fence, only while
   * the record's claim is still fence.claim (atomically); undefined, and nothing written, once a later claim took it.
   */
  update(id: string, patch: SessionRecordPatch, fence?: ClaimFence): Promise<SessionRecord | undefined>;
  /**
   * Sets outcomeCountedAt to `at` unless it is set already, atomically (Redis: a Lua compare-and-set), so two
   * concurrent reads of the same session cannot both count its outcome. True when this call set it; false when it
   * was set or the record is gone. `at` is data (the time of the count), not a "now" the store should trust.
   */
  markOutcomeCounted(id: string, at: number): Promise<boolean>;
  /**
   * Records the final decision unless one is recorded already, atomically, so a decision never changes and the
   * decided event is emitted once. `patch` is applied in the same write (a read that settles writes once). The
   * settled record when this call set it; undefined when a decision was there already or the record is gone
   * (and then the patch is not applied either).
   */
  settle(id: string, settlement: Settlement, patch?: SessionRecordPatch): Promise<SessionRecord | undefined>;
  /**
   * Up to `limit` live records whose dueAt <= now, earliest dueAt first. Atomically moves each one's dueAt to
   * now + leaseMs and counts the claim (claim + 1), so two workers never claim the same record at once and a worker
   * that dies mid-work has the work retaken after the lease; the worker then sets the real next dueAt (or null when
   * nothing more is due), fenced with the claim it got.
   */
  claimDue(limit: number, leaseMs: number): Promise<SessionRecord[]>;
  /**
   * Up to `limit` live records of one client, newest first, read from an index ordered by (createdAt, id) per client
   * and per (client, subject) (memory: sorted arrays; Redis: sorted sets scored by createdAt, so equal scores fall
   * back to member order, the id), never by scanning every record.
   */
  listByClient(query: SessionListQuery): Promise<SessionRecord[]>;
  /** True when a record was removed. */
  delete(id: string): Promise<boolean>;
  /**
   * The live-session cap. A client's live sessions are its records that are unsettled, not erased and whose token
   * has not lapsed, plus the admissions still held. Takes a slot for `ticket` (a create about to call Face) unless
   * the client holds `max` already, atomically (Redis: one script), so two replicas cannot both take the last slot.
   * The ticket holds its slot until releaseLive or `holdUntil`, whichever comes first, so a create that died
   * mid-way frees it by itself. A record leaves the count when it settles, is erased or deleted, or its token lapses
   * (no background work needed): put, settle and delete keep the count in the same write as the record.
   */
  admitLive(clientId: string, ticket: string, max: number, holdUntil: number): Promise<LiveAdmission>;
  /** Gives back a ticket's slot (its record, once put, holds its own). */
  releaseLive(clientId: string, ticket: string): Promise<void>;
  /** How many slots the client holds now (live records and held tickets). */
  countLive(clientId: string): Promise<number>;
}

/** Live while unsettled, not erased and within its token's life: what holds a slot of the live-session cap. */
export const holdsLiveSlot = (record: SessionRecord, now: number): boolean => !record.decision && !record.erased && record.authTokenExpiresAt > now;
