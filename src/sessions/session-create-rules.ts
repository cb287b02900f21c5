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
