/**
 * What this service remembers about a session, and the interface every backend implements. Routes and the service
 * see only this interface, so a Redis backend slots in through buildApp's overrides without touching either.
 * Records hold no secrets and no biometrics: no auth token, no image, no Face key.
 */
import type { FaceOperationState, SessionKind } from "../face/face-gateway.js";

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
}

export type SessionRecordPatch = Partial<Pick<SessionRecord, "lastKnownStatus" | "lastCheckedAt" | "expiresAt">>;

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
  /** True when a record was removed. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}
