import type { EmulatorAttempt, EmulatorSession, FaceRectangle } from "./emulator-state.js";

/**
 * Turns stored sessions into Face's wire shapes (`LivenessSession`, `LivenessWithVerifySession`).
 * Keys come in the order of Face's examples, so responses can be compared with them side by side.
 */

const targets = (faceRectangle: FaceRectangle) => ({ color: { faceRectangle: { ...faceRectangle } } });

function renderAttempt(attempt: EmulatorAttempt, withVerify: boolean): Record<string, unknown> {
  const { result, error } = attempt;
  if (error) {
    return {
      attemptId: attempt.attemptId,
      attemptStatus: attempt.attemptStatus,
      error: { code: error.code, message: error.message, targets: targets(error.faceRectangle) },
    };
  }
  if (!result) return { attemptId: attempt.attemptId, attemptStatus: attempt.attemptStatus };
  return {
    attemptId: attempt.attemptId,
    attemptStatus: attempt.attemptStatus,
    result: {
      livenessDecision: result.livenessDecision,
      targets: targets(result.faceRectangle),
      ...(withVerify && result.verifyResult ? { verifyResult: { ...result.verifyResult } } : {}),
      digest: result.digest,
      ...(result.sessionImageId ? { sessionImageId: result.sessionImageId } : {}),
      ...(withVerify && result.verifyImageHash ? { verifyImageHash: result.verifyImageHash } : {}),
    },
  };
}

export function renderSession(session: EmulatorSession): Record<string, unknown> {
  const withVerify = session.kind === "livenessWithVerify";
  // Newest first, as in Face's examples; consumers must pick attempts by attemptId, not position.
  const attempts = [...session.attempts].reverse().map((attempt) => renderAttempt(attempt, withVerify));
  const results: Record<string, unknown> = { attempts };
  if (withVerify) {
    // The example shows [] on create; we process the reference image at create time, so it is listed at once.
    results.verifyReferences = session.verify
      ? [{ referenceType: "Color", faceRectangle: { ...session.verify.faceRectangle }, qualityForRecognition: "high" }]
      : [];
  }
  return {
    sessionId: session.sessionId,
    authToken: session.authToken,
    status: session.status,
    modelVersion: session.modelVersion,
    results,
  };
}
