import { createHmac } from "node:crypto";

import { z } from "zod";

import type { EmulatorContext } from "./emulator-auth.js";
import { DEVICE_FRAME, centredFaceRectangle, newSessionImageId, renderNoisePng } from "./emulator-image.js";
import type { EmulatorAttemptResult, EmulatorSession } from "./emulator-state.js";

/**
 * What happens when the (emulated) device submits a liveness attempt. The body picks the outcome, since there is no
 * camera: tests say "realface", "spoofface", "uncertain", or fail the attempt with an error code.
 */

/** Face's device SDK allows three tries per session (v1.1 docs, the SDK's "up to 3 retries"). */
export const MAX_FAILED_ATTEMPTS = 3;
/** Used when the body gives no matchConfidence: a clear match for a real face, a clear mismatch otherwise. */
export const DEFAULT_MATCH_CONFIDENCE = { realface: 0.92, other: 0.1 } as const;
/** Face Verify's own default: isIdentical when confidence >= 0.5. */
export const DEFAULT_VERIFY_CONFIDENCE_THRESHOLD = 0.5;

export const deviceAttemptBodySchema = z.union([
  // Only moves NotStarted → Running, so the service's intermediate state can be observed.
  z.strictObject({ start: z.literal(true) }),
  z
    .strictObject({
      livenessDecision: z.enum(["realface", "spoofface", "uncertain"]).optional(),
      // Ignored for liveness-only sessions, which have no verification.
      matchConfidence: z.number().min(0).max(1).optional(),
      errorCode: z.string().min(1).max(64).optional(),
    })
    .refine((body) => body.errorCode !== undefined || body.livenessDecision !== undefined, {
      message: "livenessDecision is required unless errorCode is given",
    }),
]);
export type DeviceAttemptBody = z.infer<typeof deviceAttemptBodySchema>;
export type DeviceOutcome = Exclude<DeviceAttemptBody, { start: true }>;

const attemptErrorMessages: Record<string, string> = {
  FaceWithMaskDetected: "Mask detected on face image.",
  FaceMouthRegionNotVisible: "Mouth region not visible.",
  FaceEyeRegionNotVisible: "Eye region not visible.",
  ExcessiveImageBlurDetected: "Excessive image blur detected.",
  ExcessiveFaceBrightness: "Excessive face brightness.",
  EnvironmentNotSupported: "Environment not supported.",
  FaceTrackingFailed: "Face tracking failed.",
  TimedOut: "Session timed out.",
};

/** The attempt errors this emulator knows by name (any other code is accepted too, with a generic message). */
export const knownAttemptErrorCodes = Object.keys(attemptErrorMessages);

/** What the device hears back. Failed attempts carry no digest: Face only digests results. */
export interface DeviceAttemptReply {
  attemptId: number;
  digest?: string;
}

export function recordAttempt(ctx: EmulatorContext, session: EmulatorSession, outcome: DeviceOutcome): DeviceAttemptReply {
  const attemptId = session.attempts.length + 1;
  const faceRectangle = centredFaceRectangle(DEVICE_FRAME.width, DEVICE_FRAME.height);

  if (outcome.errorCode !== undefined) {
    const message = attemptErrorMessages[outcome.errorCode] ?? `Simulated liveness failure (${outcome.errorCode}).`;
    session.attempts.push({ attemptId, attemptStatus: "Failed", error: { code: outcome.errorCode, message, faceRectangle } });
    const failures = session.attempts.filter((attempt) => attempt.attemptStatus === "Failed").length;
    session.status = failures >= MAX_FAILED_ATTEMPTS ? "Failed" : "Running";
    return { attemptId };
  }

  const decision = outcome.livenessDecision ?? "uncertain";
  // Keyed by a per-emulator secret: deterministic for an attempt, different across attempts and emulators.
  const digest = createHmac("sha256", ctx.state.digestSecret)
    .update(`${session.sessionId}:${attemptId}:${decision}`)
    .digest("hex")
    .toUpperCase();
  const result: EmulatorAttemptResult = { livenessDecision: decision, faceRectangle, digest };

  if (session.enableSessionImage) {
    const sessionImageId = newSessionImageId();
    ctx.state.addSessionImage(sessionImageId, { sessionId: session.sessionId, bytes: renderNoisePng(sessionImageId) });
    result.sessionImageId = sessionImageId;
  }

  if (session.verify) {
    const fallback = decision === "realface" ? DEFAULT_MATCH_CONFIDENCE.realface : DEFAULT_MATCH_CONFIDENCE.other;
    const matchConfidence = outcome.matchConfidence ?? fallback;
    const threshold = session.verify.confidenceThreshold ?? DEFAULT_VERIFY_CONFIDENCE_THRESHOLD;
    result.verifyResult = { matchConfidence, isIdentical: matchConfidence >= threshold };
    if (session.verify.returnVerifyImageHash) result.verifyImageHash = session.verify.imageHash;
  }

  session.attempts.push({ attemptId, attemptStatus: "Succeeded", result });
  session.status = "Succeeded";
  return { attemptId, digest };
}
