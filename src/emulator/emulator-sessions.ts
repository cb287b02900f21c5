import { createHash, randomBytes, randomUUID } from "node:crypto";

import type { EmulatorContext } from "./emulator-auth.js";
import type { SessionSettings, VerifySessionSettings } from "./emulator-create-rules.js";
import { EmulatorError } from "./emulator-errors.js";
import { centredFaceRectangle } from "./emulator-image.js";
import type { CheckedVerifyImage } from "./emulator-multipart.js";
import type { EmulatorSession, EmulatorSessionKind } from "./emulator-state.js";

/** Opening and finding sessions: the management side of the emulator's state. */

function newSession(ctx: EmulatorContext, kind: EmulatorSessionKind, settings: SessionSettings): EmulatorSession {
  const now = ctx.clock.now();
  ctx.state.purgeExpired(now);
  return {
    sessionId: randomUUID(),
    kind,
    // Opaque and unguessable; Face's is a signed JWT, but nothing may read inside it, so no need to imitate that.
    authToken: randomBytes(32).toString("base64url"),
    status: "NotStarted",
    modelVersion: settings.modelVersion,
    livenessOperationMode: settings.livenessOperationMode,
    ...(settings.deviceCorrelationId === undefined ? {} : { deviceCorrelationId: settings.deviceCorrelationId }),
    enableSessionImage: settings.enableSessionImage,
    createdAt: now,
    expiresAt: now + settings.authTokenTimeToLiveInSeconds * 1000,
    attempts: [],
  };
}

export function openLivenessSession(ctx: EmulatorContext, settings: SessionSettings): EmulatorSession {
  const session = newSession(ctx, "liveness", settings);
  ctx.state.addSession(session);
  return session;
}

export function openVerifySession(
  ctx: EmulatorContext,
  settings: VerifySessionSettings,
  image: CheckedVerifyImage,
): EmulatorSession {
  const session = newSession(ctx, "livenessWithVerify", settings);
  session.verify = {
    imageHash: createHash("sha256").update(image.bytes).digest("hex").toUpperCase(),
    faceRectangle: centredFaceRectangle(image.dimensions.width, image.dimensions.height),
    returnVerifyImageHash: settings.returnVerifyImageHash,
    ...(settings.verifyConfidenceThreshold === undefined
      ? {}
      : { confidenceThreshold: settings.verifyConfidenceThreshold }),
  };
  ctx.state.addSession(session);
  return session;
}

/** Unknown, deleted, expired, or of the other kind: Face says the same thing for all four. */
export function existingSession(ctx: EmulatorContext, sessionId: string, kind: EmulatorSessionKind): EmulatorSession {
  const session = ctx.state.findSession(sessionId, kind, ctx.clock.now());
  if (!session) throw new EmulatorError("SessionNotFound");
  return session;
}
