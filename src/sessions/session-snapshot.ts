/**
 * What we keep of Face's view of a session, so outcomes outlive the Face session (we delete it once decided; Face
 * forgets it when its token lapses). Normalised and trimmed: no auth token and no face rectangles, which describe
 * the person's face and which nothing downstream needs. The shapes are in state/session-record.ts.
 */
import type { FaceSession } from "../face/face-gateway.js";
import type { AttemptSnapshot, SessionSnapshot } from "../state/session-record.js";
import type { SessionRecord } from "../state/session-store.js";

export function snapshotOf(session: FaceSession): SessionSnapshot {
  const attempts = session.attempts
    .map(({ attemptId, attemptStatus, result, error }): AttemptSnapshot => {
      const out: AttemptSnapshot = { attemptId, attemptStatus };
      if (result?.livenessDecision) out.livenessDecision = result.livenessDecision;
      if (result?.verifyResult) out.verifyResult = { ...result.verifyResult };
      if (result?.digest) out.digest = result.digest;
      if (result?.verifyImageHash) out.verifyImageHash = result.verifyImageHash;
      if (result?.sessionImageId) out.sessionImageId = result.sessionImageId;
      if (error) out.error = { code: error.code, message: error.message };
      return out;
    })
    .sort((a, b) => b.attemptId - a.attemptId);
  const snapshot: SessionSnapshot = { status: session.status, attempts };
  if (session.modelVersion !== undefined) snapshot.modelVersion = session.modelVersion;
  return snapshot;
}

/** The record's snapshot; a record without one knows only its last status, and no attempt. */
export function snapshotOfRecord(record: SessionRecord): SessionSnapshot {
  return record.snapshot ?? { status: record.lastKnownStatus, attempts: [] };
}

/** Changes a poller cares about: a new status or a new attempt. Used to reset backoff. */
export function snapshotFingerprint(snapshot: SessionSnapshot): string {
  return `${snapshot.status}:${snapshot.attempts.map((a) => a.attemptId).join(",")}`;
}

/** The newest attempt that produced a session image. */
export function latestImageId(snapshot: SessionSnapshot): string | undefined {
  return snapshot.attempts.find((a) => a.sessionImageId)?.sessionImageId;
}
