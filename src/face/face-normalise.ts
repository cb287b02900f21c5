import type { z } from "zod";

import type { FaceAttempt, FaceSession, SessionKind } from "./face-gateway.js";
import {
  livenessSessionSchema,
  livenessWithVerifySessionSchema,
  type LivenessSessionBody,
  type LivenessWithVerifySessionBody,
} from "./face-schemas.js";

/** Where a Face reply failed its schema: paths only, never values (a session body carries the device's authToken). */
export class FaceSchemaMismatch extends Error {
  constructor(readonly issuePaths: string[]) {
    super(`Face reply did not match the v1.2 schema at: ${issuePaths.join(", ")}`);
    this.name = "FaceSchemaMismatch";
  }
}

type AnyAttempt =
  | LivenessSessionBody["results"]["attempts"][number]
  | LivenessWithVerifySessionBody["results"]["attempts"][number];

function toAttempt(attempt: AnyAttempt): FaceAttempt {
  const out: FaceAttempt = { attemptId: attempt.attemptId, attemptStatus: attempt.attemptStatus };
  const { result, error } = attempt;
  if (result) {
    out.result = {
      faceRectangle: result.targets.color.faceRectangle,
      digest: result.digest,
      ...(result.livenessDecision !== undefined && { livenessDecision: result.livenessDecision }),
      ...(result.sessionImageId !== undefined && { sessionImageId: result.sessionImageId }),
      ...("verifyResult" in result && result.verifyResult !== undefined && { verifyResult: result.verifyResult }),
      ...("verifyImageHash" in result &&
        result.verifyImageHash !== undefined && { verifyImageHash: result.verifyImageHash }),
    };
  }
  if (error) out.error = { code: error.code, message: error.message };
  return out;
}

/**
 * Parses a Face session body of the given kind and maps it to the gateway's normalised `FaceSession`.
 * Throws `FaceSchemaMismatch` when the body does not follow the v1.2 schema.
 */
export function toFaceSession(kind: SessionKind, body: unknown): FaceSession {
  if (kind === "liveness") {
    const session = check(livenessSessionSchema.safeParse(body));
    return base(kind, session);
  }
  const session = check(livenessWithVerifySessionSchema.safeParse(body));
  return { ...base(kind, session), verifyReferences: session.results.verifyReferences };
}

function check<T>(parsed: z.ZodSafeParseResult<T>): T {
  if (parsed.success) return parsed.data;
  throw new FaceSchemaMismatch(parsed.error.issues.map((issue) => issue.path.join(".") || "(root)"));
}

function base(kind: SessionKind, session: LivenessSessionBody | LivenessWithVerifySessionBody): FaceSession {
  const out: FaceSession = {
    sessionId: session.sessionId,
    kind,
    authToken: session.authToken,
    status: session.status,
    attempts: session.results.attempts.map(toAttempt),
  };
  if (session.modelVersion !== undefined) out.modelVersion = session.modelVersion;
  return out;
}
