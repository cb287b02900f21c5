/**
 * The one rule that says whether a session's outcome counts against the attempt budget (src/lockout). Kept alone
 * and pure so the lockout never needs to know how decisions are made.
 */
import type { Decision } from "../../state/session-record.js";

export type FailedOutcomeRule = (decision: Decision) => boolean;

/**
 * A declined decision (decision-policy.ts): a spoof, a failed verify, or a failed integrity check. Failed attempts
 * (mask, timeout, ...) are the device's trouble, not a decision about the person, and end in retry, so they do not
 * count; neither does review, which a person has yet to look at.
 */
export const isDeclined: FailedOutcomeRule = (decision) => decision.outcome === "declined";
