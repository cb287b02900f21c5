/**
 * The plain shapes a session record holds: Face's trimmed view of the session and the settled decision. They live
 * here, below sessions/, so the state layer stores them without importing the session core; the code that builds
 * them (snapshotOf, decide) and the zod schemas that publish them stay in sessions/.
 */
import type { FaceOperationState, LivenessDecision } from "../face/face-gateway.js";

export interface AttemptSnapshot {
  attemptId: number;
  attemptStatus: FaceOperationState;
  livenessDecision?: LivenessDecision;
  verifyResult?: { matchConfidence: number; isIdentical: boolean };
  digest?: string;
  verifyImageHash?: string;
  /** An id to fetch the image with while Face still has it; not the image. */
  sessionImageId?: string;
  error?: { code: string; message: string };
}

export interface SessionSnapshot {
  status: FaceOperationState;
  modelVersion?: string;
  /** Newest first, by attemptId (Face's array order is not part of its contract). */
  attempts: AttemptSnapshot[];
}

export const decisionOutcomes = ["approved", "declined", "retry", "review", "pending", "expired", "abandoned"] as const;
export type DecisionOutcome = (typeof decisionOutcomes)[number];

export interface DecisionReason {
  /** Stable machine code, e.g. SPOOF_DETECTED, DIGEST_MISMATCH, FACE_WITH_MASK_DETECTED; documented in the README. */
  code: string;
  /** Face's own code where the reason comes from an attempt error, e.g. FaceWithMaskDetected. */
  faceCode?: string | undefined;
  /** What to tell the end user, for reasons they can act on (retry outcomes). */
  advice?: string | undefined;
}

export interface Decision {
  outcome: DecisionOutcome;
  reasons: DecisionReason[];
  /** When the outcome became final (ISO 8601); null while pending. */
  decidedAt: string | null;
}

export const digestChecks = ["match", "mismatch", "notProvided", "notChecked", "verifyImageHashMismatch"] as const;
/** The integrity gate's verdict on the attempt a decision rests on. */
export type DigestCheck = (typeof digestChecks)[number];

export const consentMethods = ["checkbox", "button", "signature", "verbal", "other"] as const;
export type ConsentMethod = (typeof consentMethods)[number];

/**
 * The caller's evidence that the person agreed to the check: kept with the record, shown to its client, written to
 * the audit trail and the webhook event, and never sent to Face (Face has no use for it).
 */
export interface ConsentEvidence {
  /** The version of the notice text the person saw. */
  noticeVersion: string;
  /** ISO 8601, as the caller gave it. */
  consentedAt: string;
  method: ConsentMethod;
  /** The caller's own record id for this consent. */
  reference?: string | undefined;
}
