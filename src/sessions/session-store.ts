/**
 * What this service remembers about a session, and the interface every backend implements. Routes and the service
 * see only this interface, so a Redis backend slots in through buildApp's overrides without touching either.
 * Records hold no secrets and no biometrics: no auth token, no image, no Face key, no face rectangle.
 */
import type { FaceOperationState, SessionKind } from "../face/face-gateway.js";
import type { Decision, DigestCheck } from "./session-events.js";
import type { SessionSnapshot } from "./session-snapshot.js";
import type { SessionListQuery } from "../state/session-store.js";

export type { SessionListPosition, SessionListQuery } from "../state/session-store.js";

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
  /** Where the session.decided webhook goes (src/webhooks). Its query may hold the receiver's token: never log it. */
  callbackUrl?: string;
  /** Hex SHA-256 of the reference image we sent (verify sessions); Face's verifyImageHash must equal it. */
  verifyImageSha256?: string;
  /** The digest the device SDK gave the caller's app, as the caller passed it. Not a secret; kept out of info logs. */
  clientDigest?: string;
  /**
   * Face's view at lastCheckedAt, trimmed; what GET serves once Face has forgotten the session. Absent only on
   * records written before there were snapshots (read them through snapshotOfRecord).
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
  /** A deletion at Face was wanted and failed; the sweeper retries it. */
  faceDeletionDue?: boolean;
}

export type SessionRecordPatch = Partial<
  Pick<
    SessionRecord,
    | "lastKnownStatus"
    | "lastCheckedAt"
    | "expiresAt"
    | "clientDigest"
    | "snapshot"
    | "lastAttemptSeen"
    | "decisionReadAt"
    | "webhookDeliveredAt"
    | "deletedAtFaceAt"
    | "faceDeletionDue"
  >
>;

export interface Settlement {
  decision: Decision;
  digestCheck: DigestCheck;
}

export interface SessionStore {
  put(record: SessionRecord): Promise<void>;
  /** Undefined when absent or past its expiresAt. */
  get(id: string): Promise<SessionRecord | undefined>;
  /** Applies the patch and returns the new record, or undefined when the record is gone. */
  update(id: string, patch: SessionRecordPatch): Promise<SessionRecord | undefined>;
  /**
   * Sets outcomeCountedAt unless it is set already, atomically (Redis: HSETNX), so two concurrent reads of the same
   * session cannot both count its outcome. True when this call set it; false when it was set or the record is gone.
   */
  markOutcomeCounted(id: string, at: number): Promise<boolean>;
  /**
   * Records the final decision unless one is recorded already, atomically (Redis: HSETNX on the decision field), so
   * a decision never changes and the decided event is emitted once. The settled record when this call set it.
   */
  settle(id: string, settlement: Settlement): Promise<SessionRecord | undefined>;
  /** Every live record, for the watcher and the sweeper (Redis: SCAN over the key prefix, or an index set). */
  list(): Promise<SessionRecord[]>;
  /**
   * Up to `limit` live records of one client, newest first, read from an index ordered by createdAt (memory: a
   * sorted array per client and per (client, subject); Redis: a sorted set each), never by scanning every record.
   */
  listByClient(query: SessionListQuery): Promise<SessionRecord[]>;
  /** True when a record was removed. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}
