/**
 * The one rule that says whether a session's outcome counts against the attempt budget (session-lockout.ts).
 * Kept alone and pure so the decision policy of a later issue can replace it without touching the lockout.
 */
import type { SessionView } from "./session-schemas.js";

export type FailedOutcomeRule = (view: SessionView) => boolean;

/**
 * Declined or spoof: the latest attempt settled (succeeded, i.e. Face reached a decision) with a spoof decision,
 * or with a verify result that says the faces differ. Failed attempts (mask, timeout, ...) are the device's
 * trouble, not a decision about the person, and do not count.
 */
export const isDeclinedOrSpoof: FailedOutcomeRule = (view) => {
  const latest = view.latestAttempt;
  if (!latest || latest.status !== "succeeded") return false;
  return latest.livenessDecision === "spoofface" || latest.verifyResult?.isIdentical === false;
};
