/**
 * What a create request must satisfy before Face is called: the caller's policy, and a verify image Face would
 * accept. Checked here because an image Face refuses costs a transaction and tells the caller less.
 */
import type { CallerPolicy } from "../lib/caller-policy.js";
import { AppError } from "../errors.js";
import type { ImageProblem } from "../lib/image-format.js";
import type { CreateSessionInput } from "./session-input.js";

/** The caller's policy decides what it may create: kinds, token lifetime, session images. */
export function enforcePolicy(input: CreateSessionInput, policy: CallerPolicy): void {
  if (!policy.allowedKinds.includes(input.kind)) {
    throw new AppError("LSO_ERR_FORBIDDEN", { message: `This client may not create ${input.kind} sessions.` });
  }
  if (input.enableSessionImage && !policy.sessionImages) {
    throw new AppError("LSO_ERR_FORBIDDEN", { message: "This client may not keep session images (enableSessionImage)." });
  }
  if (input.authTokenTtlSeconds > policy.maxTokenTtlSeconds) {
    throw new AppError("LSO_ERR_VALIDATION", {
      fields: [{ path: "body.authTokenTtlSeconds", message: `must be at most ${policy.maxTokenTtlSeconds} for this client` }],
    });
  }
}

/** A clock-skew allowance: a device or caller clock a little ahead of ours is not a consent from the future. */
const CONSENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The client's requireConsent policy, and the evidence's age: at most maxAgeMs old, not in the future. */
export function enforceConsent(input: CreateSessionInput, policy: CallerPolicy, now: number, maxAgeMs: number): void {
  if (input.consent === undefined) {
    if (policy.requireConsent) throw new AppError("LSO_ERR_CONSENT_REQUIRED");
    return;
  }
  const at = Date.parse(input.consent.consentedAt);
  const problem = at > now + CONSENT_CLOCK_SKEW_MS ? "must not be in the future" : at < now - maxAgeMs ? `must be at most ${maxAgeMs / 1000} seconds old` : undefined;
  if (problem) throw new AppError("LSO_ERR_VALIDATION", { fields: [{ path: "body.consent.consentedAt", message: problem }] });
}

export function imageError(problem: ImageProblem): AppError {
  switch (problem) {
    case "tooSmall":
      return new AppError("LSO_ERR_IMAGE_TOO_SMALL");
    case "tooLarge":
      return new AppError("LSO_ERR_IMAGE_TOO_LARGE");
    case "unsupportedFormat":
      return new AppError("LSO_ERR_IMAGE_FORMAT");
    case "unreadable":
      return new AppError("LSO_ERR_IMAGE_FORMAT", { message: "The image header is truncated or unreadable." });
  }
}
