/**
 * Turns what we hold about a session (the record and its snapshot of Face) into what our callers see. The latest
 * attempt is the one with the highest attemptId: Face lists attempts newest first today, but array order is not part
 * of its contract (the snapshot is sorted by id).
 */
import type { FaceOperationState } from "../face/face-gateway.js";
import type { AttemptSnapshot, Decision, SessionSnapshot } from "../state/session-record.js";
import type { SessionRecord } from "../state/session-store.js";
import type { SessionSummary } from "./session-list-schemas.js";
import type { AttemptView, PublicStatus, SessionView } from "./session-schemas.js";
import { snapshotOfRecord } from "./session-snapshot.js";

const statusNames: Record<FaceOperationState, PublicStatus> = {
  NotStarted: "notStarted",
  Running: "running",
  Succeeded: "succeeded",
  Failed: "failed",
  Canceled: "canceled",
};

export function publicStatus(state: FaceOperationState): PublicStatus {
  return statusNames[state];
}

function attemptView(attempt: AttemptSnapshot, exposeScores: boolean): AttemptView {
  const view: AttemptView = {
    attemptId: attempt.attemptId,
    status: publicStatus(attempt.attemptStatus),
    hasSessionImage: Boolean(attempt.sessionImageId),
  };
  if (attempt.livenessDecision) view.livenessDecision = attempt.livenessDecision;
  if (attempt.verifyResult) {
    // Raw scores only for clients whose policy asks for them: a score invites callers to build their own threshold.
    const { matchConfidence, isIdentical } = attempt.verifyResult;
    view.verifyResult = exposeScores ? { matchConfidence, isIdentical } : { isIdentical };
  }
  if (attempt.digest) view.digest = attempt.digest;
  if (attempt.error) view.error = { ...attempt.error };
  return view;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What the full view and the list's summary both open with. */
function viewBase(record: SessionRecord, snapshot: SessionSnapshot) {
  return {
    id: record.id,
    kind: record.kind,
    status: publicStatus(snapshot.status),
    createdAt: iso(record.createdAt),
    authTokenExpiresAt: iso(record.authTokenExpiresAt),
    checkedAt: iso(record.lastCheckedAt),
    ...(record.subject !== undefined && { subject: record.subject }),
    ...(record.deviceCorrelationId !== undefined && { deviceCorrelationId: record.deviceCorrelationId }),
  };
}

/** `exposeScores`: the caller policy's decision.exposeScores. */
export function toSessionView(record: SessionRecord, decision: Decision, exposeScores: boolean): SessionView {
  const snapshot = snapshotOfRecord(record);
  const attempts = snapshot.attempts.map((a) => attemptView(a, exposeScores));
  const latest = attempts[0] ?? null;
  const view: SessionView = {
    ...viewBase(record, snapshot),
    attempts,
    latestAttempt: latest,
    livenessDecision: latest?.livenessDecision ?? null,
    verifyResult: latest?.verifyResult ?? null,
    digest: latest?.digest ?? null,
    hasSessionImage: attempts.some((a) => a.hasSessionImage),
    decision,
  };
  if (record.consent !== undefined) view.consent = { ...record.consent };
  if (snapshot.modelVersion !== undefined) view.modelVersion = snapshot.modelVersion;
  return view;
}

/** One row of GET /v1/sessions: the view's opening and the decision's outcome, without the attempts. */
export function toSessionSummary(record: SessionRecord, decision: Decision): SessionSummary {
  const snapshot = snapshotOfRecord(record);
  return { ...viewBase(record, snapshot), attemptCount: snapshot.attempts.length, outcome: decision.outcome, decidedAt: decision.decidedAt };
}
