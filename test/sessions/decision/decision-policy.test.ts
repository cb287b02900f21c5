/** The decision policy as a table: each row is a situation and the outcome, reason codes and digest check it gets. */
import { describe, expect, it } from "vitest";
import { decisionPolicySchema, type DecisionPolicy } from "../../../src/lib/caller-policy.js";
import { decide, type DecisionInput } from "../../../src/sessions/decision/decision-policy.js";
import { reasonCodes } from "../../../src/sessions/decision/decision-reasons.js";
import type { AttemptSnapshot, SessionSnapshot } from "../../../src/state/session-record.js";

const DIGEST = "AB".repeat(32);
const HASH = "CD".repeat(32);
const strict = decisionPolicySchema.parse({});
const lenient: DecisionPolicy = { ...strict, requireClientDigest: false };

const real = (attemptId = 1, extra: Partial<AttemptSnapshot> = {}): AttemptSnapshot => ({ attemptId, attemptStatus: "Succeeded", livenessDecision: "realface", digest: DIGEST, ...extra });
const spoof = (attemptId = 1): AttemptSnapshot => ({ attemptId, attemptStatus: "Succeeded", livenessDecision: "spoofface", digest: DIGEST });
const uncertain = (attemptId = 1): AttemptSnapshot => ({ attemptId, attemptStatus: "Succeeded", livenessDecision: "uncertain", digest: DIGEST });
const failed = (attemptId: number, code = "FaceWithMaskDetected"): AttemptSnapshot => ({ attemptId, attemptStatus: "Failed", error: { code, message: "m" } });
const verified = (matchConfidence: number, isIdentical: boolean, verifyImageHash = HASH) => real(1, { verifyResult: { matchConfidence, isIdentical }, verifyImageHash });

/** Newest first, as snapshotOf() sorts them. */
const snap = (status: SessionSnapshot["status"], ...attempts: AttemptSnapshot[]): SessionSnapshot => ({ status, attempts: [...attempts].sort((a, b) => b.attemptId - a.attemptId) });

const input = (snapshot: SessionSnapshot, extra: Partial<DecisionInput> = {}): DecisionInput => ({
  kind: "liveness",
  snapshot,
  policy: strict,
  tokenLapsed: false,
  digestGraceOver: false,
  ...extra,
});

const rows: Array<[string, DecisionInput, string, string[], string]> = [
  ["no attempt yet", input(snap("NotStarted")), "pending", ["NO_ATTEMPT"], "notChecked"],
  ["started, no attempt yet", input(snap("Running")), "pending", ["NO_ATTEMPT"], "notChecked"],
  ["token lapsed, never started", input(snap("NotStarted"), { tokenLapsed: true }), "expired", ["NO_ATTEMPT", "TOKEN_EXPIRED"], "notChecked"],
  ["token lapsed, started but no attempt", input(snap("Running"), { tokenLapsed: true }), "abandoned", ["NO_ATTEMPT", "TOKEN_EXPIRED"], "notChecked"],
  ["real face, digest matches (any case)", input(snap("Succeeded", real()), { clientDigest: DIGEST.toLowerCase() }), "approved", ["REAL_FACE", "DIGEST_MATCH"], "match"],
  ["real face, no digest, digest required", input(snap("Succeeded", real())), "pending", ["AWAITING_CLIENT_DIGEST"], "notProvided"],
  ["real face, no digest, digest not required", input(snap("Succeeded", real()), { policy: lenient }), "approved", ["REAL_FACE", "DIGEST_NOT_CHECKED"], "notChecked"],
  ["real face, digest differs", input(snap("Succeeded", real()), { clientDigest: "EF".repeat(32) }), "declined", ["DIGEST_MISMATCH"], "mismatch"],
  ["real face, digest still missing long after the lapse", input(snap("Succeeded", real()), { tokenLapsed: true, digestGraceOver: true }), "abandoned", ["AWAITING_CLIENT_DIGEST", "TOKEN_EXPIRED"], "notProvided"],
  ["real face, digest missing just after the lapse", input(snap("Succeeded", real()), { tokenLapsed: true }), "pending", ["AWAITING_CLIENT_DIGEST"], "notProvided"],
  ["spoof, no digest: declines never wait", input(snap("Succeeded", spoof())), "declined", ["SPOOF_DETECTED"], "notProvided"],
  ["spoof with a matching digest", input(snap("Succeeded", spoof()), { clientDigest: DIGEST }), "declined", ["SPOOF_DETECTED"], "match"],
  ["uncertain, first try", input(snap("Succeeded", uncertain())), "retry", ["UNCERTAIN"], "notProvided"],
  ["uncertain after two failed attempts (the last one)", input(snap("Succeeded", failed(1), failed(2), uncertain(3))), "review", ["UNCERTAIN", "ATTEMPTS_EXHAUSTED"], "notProvided"],
  ["a second uncertain attempt", input(snap("Succeeded", uncertain(1), uncertain(2))), "review", ["UNCERTAIN", "REPEATED_UNCERTAIN"], "notProvided"],
  ["a second uncertain, review off by policy", input(snap("Succeeded", uncertain(1), uncertain(2)), { policy: { ...strict, reviewOnRepeatedUncertain: false } }), "retry", ["UNCERTAIN"], "notProvided"],
  ["uncertain and the token lapsed", input(snap("Succeeded", uncertain()), { tokenLapsed: true }), "abandoned", ["TOKEN_EXPIRED", "UNCERTAIN"], "notProvided"],
  ["uncertain with a wrong digest", input(snap("Succeeded", uncertain()), { clientDigest: "00".repeat(32) }), "declined", ["DIGEST_MISMATCH"], "mismatch"],
  ["mask", input(snap("Running", failed(1))), "retry", ["FACE_WITH_MASK_DETECTED"], "notChecked"],
  ["timed out", input(snap("Running", failed(1, "TimedOut"))), "retry", ["TIMED_OUT"], "notChecked"],
  ["a Face code we do not know", input(snap("Running", failed(1, "SomethingNew"))), "retry", ["ATTEMPT_FAILED"], "notChecked"],
  ["three failed attempts: Face ended the session", input(snap("Failed", failed(1), failed(2), failed(3, "ExcessiveImageBlurDetected"))), "retry", ["EXCESSIVE_IMAGE_BLUR_DETECTED", "ATTEMPTS_EXHAUSTED"], "notChecked"],
  ["failed attempt and the token lapsed", input(snap("Running", failed(1)), { tokenLapsed: true }), "abandoned", ["TOKEN_EXPIRED", "FACE_WITH_MASK_DETECTED"], "notChecked"],
  ["verify match", input(snap("Succeeded", verified(0.9, true)), { kind: "livenessWithVerify", verifyImageSha256: HASH.toLowerCase(), clientDigest: DIGEST }), "approved", ["REAL_FACE", "VERIFY_MATCH", "DIGEST_MATCH"], "match"],
  ["verify: Face says not identical", input(snap("Succeeded", verified(0.3, false)), { kind: "livenessWithVerify", verifyImageSha256: HASH }), "declined", ["REAL_FACE", "VERIFY_NO_MATCH"], "notProvided"],
  ["verify: identical, but below the client's threshold", input(snap("Succeeded", verified(0.6, true)), { kind: "livenessWithVerify", verifyImageSha256: HASH, policy: { ...lenient, verifyThreshold: 0.8 } }), "declined", ["REAL_FACE", "VERIFY_BELOW_THRESHOLD"], "notChecked"],
  ["verify: at the client's threshold", input(snap("Succeeded", verified(0.8, true)), { kind: "livenessWithVerify", verifyImageSha256: HASH, policy: { ...lenient, verifyThreshold: 0.8 } }), "approved", ["REAL_FACE", "VERIFY_MATCH", "DIGEST_NOT_CHECKED"], "notChecked"],
  ["verify: Face verified another image", input(snap("Succeeded", verified(0.9, true, "11".repeat(32))), { kind: "livenessWithVerify", verifyImageSha256: HASH, clientDigest: DIGEST }), "declined", ["VERIFY_IMAGE_HASH_MISMATCH"], "verifyImageHashMismatch"],
  ["verify: Face sent no image hash", input(snap("Succeeded", real(1, { verifyResult: { matchConfidence: 0.9, isIdentical: true } })), { kind: "livenessWithVerify", verifyImageSha256: HASH }), "declined", ["VERIFY_IMAGE_HASH_MISMATCH"], "verifyImageHashMismatch"],
  ["verify: wrong image and wrong digest", input(snap("Succeeded", verified(0.9, true, "11".repeat(32))), { kind: "livenessWithVerify", verifyImageSha256: HASH, clientDigest: "22".repeat(32) }), "declined", ["VERIFY_IMAGE_HASH_MISMATCH", "DIGEST_MISMATCH"], "verifyImageHashMismatch"],
];

describe("decide", () => {
  const cases = rows.map(([name, given, outcome, codes, digestCheck]) => ({ name, given, outcome, codes, digestCheck }));
  it.each(cases)("when $name, then $outcome", ({ given, outcome, codes, digestCheck }) => {
    const verdict = decide(given);
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.reasons.map((r) => r.code)).toEqual(codes);
    expect(verdict.digestCheck).toBe(digestCheck);
  });

  it("when an outcome is retry, then every reason tells the end user what to do; review and declines give no advice", () => {
    for (const [, given] of rows) {
      const verdict = decide(given);
      if (verdict.outcome === "retry") expect(verdict.reasons.every((r) => r.advice)).toBe(true);
      if (verdict.outcome === "review" || verdict.outcome === "declined") expect(verdict.reasons.some((r) => r.advice)).toBe(false);
    }
  });

  it("when a failed attempt carries Face's code, then the reason keeps it in faceCode", () => {
    expect(decide(input(snap("Running", failed(1, "UserCanceledActiveMotion")))).reasons[0]).toMatchObject({ code: "USER_CANCELED_ACTIVE_MOTION", faceCode: "UserCanceledActiveMotion" });
  });

  it("when the verdict rests on an attempt, then it names the latest one by attemptId", () => {
    expect(decide(input(snap("Succeeded", failed(1), spoof(2)))).attemptId).toBe(2);
  });

  it("when every reason code is listed, then the README documents each one", async () => {
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
    for (const code of reasonCodes) expect(readme, code).toContain(`\`${code}\``);
  });
});
