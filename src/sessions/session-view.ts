/**
 * Turns what Face says about a session into what our callers see. The latest attempt is the one with the highest
 * attemptId: Face lists attempts newest first today, but array order is not part of its contract.
 */
import type { FaceAttempt, FaceOperationState, FaceSession } from "../face/face-gateway.js";
import type { SessionRecord } from "./session-store.js";
import type { AttemptView, PublicStatus, SessionView } from "./session-schemas.js";

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

export function latestAttempt<T extends { attemptId: number }>(attempts: readonly T[]): T | undefined {
  let latest: T | undefined;
  for (const attempt of attempts) if (!latest || attempt.attemptId > latest.attemptId) latest = attempt;
  return latest;
}

/** The newest attempt that produced a session image, if any. */
export function latestSessionImageId(session: FaceSession): string | undefined {
  return latestAttempt(session.attempts.filter((a) => a.result?.sessionImageId))?.result?.sessionImageId;
}

function attemptView(attempt: FaceAttempt): AttemptView {
  const view: AttemptView = {
    attemptId: attempt.attemptId,
    status: publicStatus(attempt.attemptStatus),
    hasSessionImage: Boolean(attempt.result?.sessionImageId),
  };
  const result = attempt.result;
  if (result?.livenessDecision) view.livenessDecision = result.livenessDecision;
  if (result?.verifyResult) view.verifyResult = { ...result.verifyResult };
  if (result?.digest) view.digest = result.digest;
  if (attempt.error) view.error = { code: attempt.error.code, message: attempt.error.message };
  return view;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toSessionView(record: SessionRecord, session: FaceSession): SessionView {
  const attempts = session.attempts.map(attemptView).sort((a, b) => b.attemptId - a.attemptId);
  const latest = attempts[0] ?? null;
  const view: SessionView = {
    id: record.id,
    kind: record.kind,
    status: publicStatus(session.status),
    createdAt: iso(record.createdAt),
    authTokenExpiresAt: iso(record.authTokenExpiresAt),
    checkedAt: iso(record.lastCheckedAt),
    attempts,
    latestAttempt: latest,
    livenessDecision: latest?.livenessDecision ?? null,
    verifyResult: latest?.verifyResult ?? null,
    digest: latest?.digest ?? null,
    hasSessionImage: attempts.some((a) => a.hasSessionImage),
  };
  if (record.subject !== undefined) view.subject = record.subject;
  if (record.deviceCorrelationId !== undefined) view.deviceCorrelationId = record.deviceCorrelationId;
  if (session.modelVersion !== undefined) view.modelVersion = session.modelVersion;
  return view;
}
