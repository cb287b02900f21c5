import { z } from "zod";

import type { FaceOperationState, LivenessDecision } from "./face-gateway.js";

/**
 * zod schemas for the Face v1.2 liveness replies, written from the v1.2 OpenAPI document
 * (`/work/shared/face/face-v1.2.json`). Fields the spec requires are required here too; the few places where the
 * live service or the spec's own examples disagree with the spec are tolerated on purpose and say why.
 * Unknown extra fields are stripped (zod's default), so Face can add fields without breaking us.
 *
 * @see https://learn.microsoft.com/rest/api/face/liveness-session-operations?view=rest-face-v1.2
 */

const operationStates = ["NotStarted", "Running", "Succeeded", "Failed", "Canceled"] as const;
const livenessDecisions = ["uncertain", "realface", "spoofface"] as const;

/** `null` and absent mean the same thing to us; Face sends `null` for "no value" in places (e.g. `sessionImageId`). */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

/**
 * OperationState (modelAsString). Matched case-insensitively and returned in its canonical casing: Face already
 * changed the casing of one enum between docs and service (see livenessDecision), so don't bet on this one.
 */
const operationState = z.string().transform((value, ctx): FaceOperationState => {
  const match = operationStates.find((state) => state.toLowerCase() === value.toLowerCase());
  if (match) return match;
  ctx.addIssue({ code: "custom", message: `unknown OperationState "${value}"` });
  return z.NEVER;
});

/**
 * The spec's enum is lower case (`realface`), and the SDK's recordings of the live service say so too, but the
 * spec's own examples send `realFace` (the x-ms-enum *name*). Normalise to lower case. An unknown decision is
 * rejected rather than guessed at: mistaking a new value for "realface" would be a security bug.
 */
const livenessDecision = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(livenessDecisions))
  .transform((value): LivenessDecision => value);

export const faceRectangleSchema = z.object({
  top: z.number().int(),
  left: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
});

export const livenessDecisionTargetsSchema = z.object({
  color: z.object({ faceRectangle: faceRectangleSchema }),
});

export const livenessResultSchema = z.object({
  livenessDecision: optional(livenessDecision),
  targets: livenessDecisionTargetsSchema,
  digest: z.string(),
  sessionImageId: optional(z.string()),
});

export const livenessWithVerifyResultSchema = livenessResultSchema.extend({
  verifyResult: optional(z.object({ matchConfidence: z.number().min(0).max(1), isIdentical: z.boolean() })),
  verifyImageHash: optional(z.string()),
});

export const livenessErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  // Required by the spec, but we never read it, and a failed attempt may have no face to point at (inference):
  // don't fail a whole session read over a rectangle we would drop anyway.
  targets: optional(livenessDecisionTargetsSchema),
});

const attemptFields = {
  attemptId: z.number().int(),
  attemptStatus: operationState,
  // "will be null if there is error" / "will be null if there is result".
  error: optional(livenessErrorSchema),
};

export const livenessSessionAttemptSchema = z.object({ ...attemptFields, result: optional(livenessResultSchema) });

export const livenessWithVerifySessionAttemptSchema = z.object({
  ...attemptFields,
  result: optional(livenessWithVerifyResultSchema),
});

export const livenessWithVerifyReferenceSchema = z.object({
  // The spec's enum is ImageType (Color | Infrared | Depth), but its example sends "image": keep it as a string.
  referenceType: z.string(),
  faceRectangle: faceRectangleSchema,
  qualityForRecognition: z.string(),
});

const sessionFields = {
  sessionId: z.string().min(1),
  authToken: z.string().min(1),
  status: operationState,
  // LivenessModel is an enum of one ("2024-11-15") that will grow; a new model must not break session reads.
  modelVersion: optional(z.string()),
};

export const livenessSessionSchema = z.object({
  ...sessionFields,
  results: z.object({ attempts: z.array(livenessSessionAttemptSchema) }),
});

export const livenessWithVerifySessionSchema = z.object({
  ...sessionFields,
  results: z.object({
    verifyReferences: z.array(livenessWithVerifyReferenceSchema),
    attempts: z.array(livenessWithVerifySessionAttemptSchema),
  }),
});

/** Every Face error body: `{ "error": { "code", "message" } }`. */
export const faceErrorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

export type LivenessSessionBody = z.output<typeof livenessSessionSchema>;
export type LivenessWithVerifySessionBody = z.output<typeof livenessWithVerifySessionSchema>;
export type FaceErrorResponseBody = z.output<typeof faceErrorResponseSchema>;
