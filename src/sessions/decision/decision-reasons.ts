/**
 * The stable reason codes a decision carries (README, "Decisions"). Callers branch on them, so a code is never
 * renamed once published; add new ones instead. Advice is what the caller's app may show the end user.
 */
import type { DecisionReason } from "../../state/session-record.js";

export const reasonCodes = [
  "REAL_FACE",
  "SPOOF_DETECTED",
  "UNCERTAIN",
  "REPEATED_UNCERTAIN",
  "ATTEMPTS_EXHAUSTED",
  "VERIFY_MATCH",
  "VERIFY_NO_MATCH",
  "VERIFY_BELOW_THRESHOLD",
  "VERIFY_IMAGE_HASH_MISMATCH",
  "DIGEST_MATCH",
  "DIGEST_MISMATCH",
  "DIGEST_NOT_CHECKED",
  "AWAITING_CLIENT_DIGEST",
  "NO_ATTEMPT",
  "TOKEN_EXPIRED",
  "FACE_WITH_MASK_DETECTED",
  "FACE_MOUTH_REGION_NOT_VISIBLE",
  "FACE_EYE_REGION_NOT_VISIBLE",
  "EXCESSIVE_IMAGE_BLUR_DETECTED",
  "EXCESSIVE_FACE_BRIGHTNESS",
  "ENVIRONMENT_NOT_SUPPORTED",
  "FACE_TRACKING_FAILED",
  "USER_CANCELED_SESSION",
  "USER_CANCELED_ACTIVE_MOTION",
  "TIMED_OUT",
  "ATTEMPT_FAILED",
] as const;

export type ReasonCode = (typeof reasonCodes)[number];

export const UNCERTAIN_ADVICE = "We could not confirm the check. Try again facing the camera in even, bright light, without a hat or glasses.";
const NEW_SESSION_ADVICE = "This check cannot continue. Start a new one.";

/**
 * Face's attempt error codes (CONTRACT.md §4; from the client SDK's enums, the server may send a subset), each with
 * our code and the advice for the end user. Every one of them is worth another try.
 */
const attemptErrors: Record<string, { code: ReasonCode; advice: string }> = {
  FaceWithMaskDetected: { code: "FACE_WITH_MASK_DETECTED", advice: "Remove your mask or anything covering your face, then try again." },
  FaceMouthRegionNotVisible: { code: "FACE_MOUTH_REGION_NOT_VISIBLE", advice: "Make sure your mouth is visible and not covered, then try again." },
  FaceEyeRegionNotVisible: { code: "FACE_EYE_REGION_NOT_VISIBLE", advice: "Remove sunglasses or anything covering your eyes, then try again." },
  ExcessiveImageBlurDetected: { code: "EXCESSIVE_IMAGE_BLUR_DETECTED", advice: "Hold the device steady and clean the camera lens, then try again." },
  ExcessiveFaceBrightness: { code: "EXCESSIVE_FACE_BRIGHTNESS", advice: "Move away from strong or direct light, then try again." },
  EnvironmentNotSupported: { code: "ENVIRONMENT_NOT_SUPPORTED", advice: "Use a supported device and browser with a working front camera." },
  FaceTrackingFailed: { code: "FACE_TRACKING_FAILED", advice: "Keep your whole face inside the frame and hold still, then try again." },
  UserCanceledSession: { code: "USER_CANCELED_SESSION", advice: "The check was canceled. Start it again when you are ready." },
  UserCanceledActiveMotion: { code: "USER_CANCELED_ACTIVE_MOTION", advice: "Follow the on-screen movement prompts to the end, then try again." },
  TimedOut: { code: "TIMED_OUT", advice: "The check took too long. Try again and follow the prompts promptly." },
};

export const reason = (code: ReasonCode, extra: Omit<DecisionReason, "code"> = {}): DecisionReason => ({ code, ...extra });

/** A failed attempt's reason; an unknown Face code still gets a stable code, with Face's own kept in faceCode. */
export function attemptErrorReason(faceCode: string): DecisionReason {
  const known = attemptErrors[faceCode];
  return known ? reason(known.code, { faceCode, advice: known.advice }) : reason("ATTEMPT_FAILED", { faceCode, advice: "The check did not complete. Try again." });
}

export const attemptsExhausted = (): DecisionReason => reason("ATTEMPTS_EXHAUSTED", { advice: NEW_SESSION_ADVICE });

/** For the README table: Face's attempt error codes we map. */
export const mappedFaceErrorCodes = Object.keys(attemptErrors);
