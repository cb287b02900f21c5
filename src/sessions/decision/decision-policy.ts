/**
 * The decision policy: what a session's outcome means for the caller, from what Face said (the
 * snapshot), the digest the caller passed, the reference image hash we kept, and the client's policy. Pure and
 * table-tested; the one place these rules live.
 */
import type { FaceOperationState, SessionKind } from "../../face/face-gateway.js";
import type { DecisionPolicy } from "../../lib/caller-policy.js";
import type { AttemptSnapshot, DecisionOutcome, DecisionReason, DigestCheck, SessionSnapshot } from "../../state/session-record.js";
import { attemptErrorReason, attemptsExhausted, reason, UNCERTAIN_ADVICE } from "./decision-reasons.js";

/** Face accepts no more attempts in these states (the emulator answers the device 409), so nothing can change. */
const FINAL_STATES: ReadonlySet<FaceOperationState> = new Set(["Succeeded", "Failed", "Canceled"]);

export function isFinalAtFace(snapshot: SessionSnapshot): boolean {
  return FINAL_STATES.has(snapshot.status);
}

/** Face's device SDK allows three attempts per session; the third uncertain-or-failed one is the last chance. */
export const MAX_ATTEMPTS_PER_SESSION = 3;

export interface DecisionInput {
  kind: SessionKind;
  snapshot: SessionSnapshot;
  /** The digest the device SDK gave the caller's app, as the caller passed it. */
  clientDigest?: string | undefined;
  /** Hex SHA-256 of the reference image we sent (verify sessions). */
  verifyImageSha256?: string | undefined;
  policy: DecisionPolicy;
  /** The auth token lapsed: no attempt can start any more. */
  tokenLapsed: boolean;
  /** So long after the lapse that a client digest still missing will not come. */
  digestGraceOver: boolean;
}

export interface Verdict {
  outcome: DecisionOutcome;
  reasons: DecisionReason[];
  digestCheck: DigestCheck;
  /** The attempt the verdict rests on. */
  attemptId?: number;
}

/** Digests and image hashes are hex; Face writes them uppercase, device SDKs and we may not. */
const sameHex = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

const isResult = (a: AttemptSnapshot) => a.attemptStatus === "Succeeded" && !a.error;

export function decide(input: DecisionInput): Verdict {
  const latest = input.snapshot.attempts[0];
  if (!latest) return noAttempt(input);
  if (!isResult(latest)) return failedAttempt(input, latest);
  return resultAttempt(input, latest);
}

function noAttempt({ snapshot, tokenLapsed }: DecisionInput): Verdict {
  const digestCheck = "notChecked";
  // Canceled or failed at Face before any attempt: nothing more can happen, as after a lapse.
  if (!tokenLapsed && !isFinalAtFace(snapshot)) return { outcome: "pending", reasons: [reason("NO_ATTEMPT")], digestCheck };
  const outcome = snapshot.status === "NotStarted" ? "expired" : "abandoned";
  return { outcome, reasons: [reason("NO_ATTEMPT"), reason("TOKEN_EXPIRED")], digestCheck };
}

/** Mask, blur, timeout, cancel...: the device's trouble, not a finding about the person, so always worth a retry. */
function failedAttempt({ snapshot, tokenLapsed }: DecisionInput, latest: AttemptSnapshot): Verdict {
  const reasons = [attemptErrorReason(latest.error?.code ?? "Unknown")];
  if (isFinalAtFace(snapshot)) reasons.push(attemptsExhausted());
  const base = { digestCheck: "notChecked" as const, attemptId: latest.attemptId };
  return tokenLapsed ? { ...base, outcome: "abandoned", reasons: [reason("TOKEN_EXPIRED"), ...reasons] } : { ...base, outcome: "retry", reasons };
}

function resultAttempt(input: DecisionInput, latest: AttemptSnapshot): Verdict {
  const { kind, clientDigest, policy } = input;
  const hashMismatch = kind === "livenessWithVerify" && !sameHex(latest.verifyImageHash, input.verifyImageSha256);
  const digestMismatch = clientDigest !== undefined && !sameHex(clientDigest, latest.digest);
  const digestCheck: DigestCheck = hashMismatch
    ? "verifyImageHashMismatch"
    : clientDigest === undefined
      ? policy.requireClientDigest
        ? "notProvided"
        : "notChecked"
      : digestMismatch
        ? "mismatch"
        : "match";
  const verdict = (outcome: DecisionOutcome, reasons: DecisionReason[]): Verdict => ({ outcome, reasons, digestCheck, attemptId: latest.attemptId });

  // Integrity first: a result we cannot tie to this device's attempt, or to our reference image, is worth nothing.
  if (hashMismatch || digestMismatch) {
    const reasons = [...(hashMismatch ? [reason("VERIFY_IMAGE_HASH_MISMATCH")] : []), ...(digestMismatch ? [reason("DIGEST_MISMATCH")] : [])];
    return verdict("declined", reasons);
  }
  // Declines never wait for a digest.
  if (latest.livenessDecision === "spoofface") return verdict("declined", [reason("SPOOF_DETECTED")]);
  if (latest.livenessDecision !== "realface") return uncertain(input, verdict);

  const reasons = [reason("REAL_FACE")];
  if (kind === "livenessWithVerify") {
    const result = latest.verifyResult;
    if (!result?.isIdentical) return verdict("declined", [...reasons, reason("VERIFY_NO_MATCH")]);
    if (policy.verifyThreshold !== undefined && result.matchConfidence < policy.verifyThreshold) {
      return verdict("declined", [...reasons, reason("VERIFY_BELOW_THRESHOLD")]);
    }
    reasons.push(reason("VERIFY_MATCH"));
  }
  if (digestCheck === "match") return verdict("approved", [...reasons, reason("DIGEST_MATCH")]);
  if (digestCheck === "notChecked") return verdict("approved", [...reasons, reason("DIGEST_NOT_CHECKED")]);
  // The caller's app never came back with the device's digest: the check was not completed.
  if (input.tokenLapsed && input.digestGraceOver) return verdict("abandoned", [reason("AWAITING_CLIENT_DIGEST"), reason("TOKEN_EXPIRED")]);
  return verdict("pending", [reason("AWAITING_CLIENT_DIGEST")]);
}

function uncertain(input: DecisionInput, verdict: (outcome: DecisionOutcome, reasons: DecisionReason[]) => Verdict): Verdict {
  const { attempts } = input.snapshot;
  const repeated = attempts.filter((a) => isResult(a) && a.livenessDecision !== "realface" && a.livenessDecision !== "spoofface").length >= 2;
  const lastChance = attempts.length >= MAX_ATTEMPTS_PER_SESSION;
  if (input.policy.reviewOnRepeatedUncertain && (repeated || lastChance)) {
    // A person, not another try, should look at it: no advice for the end user.
    return verdict("review", [reason("UNCERTAIN"), reason(repeated ? "REPEATED_UNCERTAIN" : "ATTEMPTS_EXHAUSTED")]);
  }
  if (input.tokenLapsed) return verdict("abandoned", [reason("TOKEN_EXPIRED"), reason("UNCERTAIN")]);
  return verdict("retry", [reason("UNCERTAIN", { advice: UNCERTAIN_ADVICE })]);
}
