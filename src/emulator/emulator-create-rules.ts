import { z } from "zod";

import { EmulatorError } from "./emulator-errors.js";

/**
 * What a create request may say, checked the way Face checks it: first the shape (InvalidRequestBody), then each
 * field's own rule with its own documented code. JSON and multipart bodies are decoded to the same candidate first.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/reference-face-error-codes
 */
export const LIVENESS_MODEL_VERSION = "2024-11-15";
export const DEFAULT_TOKEN_TTL_SECONDS = 600;
const MIN_TOKEN_TTL_SECONDS = 60;
const MAX_TOKEN_TTL_SECONDS = 86_400;
const MAX_DEVICE_CORRELATION_ID_LENGTH = 64;

export interface SessionSettings {
  livenessOperationMode: "Passive" | "PassiveActive";
  deviceCorrelationId?: string;
  enableSessionImage: boolean;
  modelVersion: string;
  authTokenTimeToLiveInSeconds: number;
}

export interface VerifySessionSettings extends SessionSettings {
  returnVerifyImageHash: boolean;
  verifyConfidenceThreshold?: number;
}

/**
 * Unknown fields are refused although Face may ignore them: the emulator exists to test our own client, and a
 * misspelt field silently ignored is exactly the bug it should surface.
 */
const jsonCreateSchema = z.strictObject({
  // Any string passes here so a bad value gets its own code below rather than the generic one.
  livenessOperationMode: z.string().optional(),
  deviceCorrelationIdSetInClient: z.boolean().optional(),
  enableSessionImage: z.boolean().optional(),
  livenessModelVersion: z.string().optional(),
  deviceCorrelationId: z.string().nullable().optional(),
  authTokenTimeToLiveInSeconds: z.int().optional(),
});

type CreateCandidate = z.infer<typeof jsonCreateSchema>;

// Multipart parts arrive as text: the SDK sends String(value), so booleans are "true"/"false" and numbers decimal.
const booleanText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["true", "false"]))
  .transform((value) => value === "true");
const integerText = z
  .string()
  .trim()
  .regex(/^[+-]?\d{1,10}$/, "must be an integer")
  .transform(Number);
const numberText = z
  .string()
  .trim()
  .regex(/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/, "must be a number")
  .transform(Number);

const multipartCreateSchema = z.strictObject({
  livenessOperationMode: z.string().optional(),
  deviceCorrelationIdSetInClient: booleanText.optional(),
  enableSessionImage: booleanText.optional(),
  livenessModelVersion: z.string().optional(),
  returnVerifyImageHash: booleanText.optional(),
  verifyConfidenceThreshold: numberText.optional(),
  deviceCorrelationId: z.string().optional(),
  authTokenTimeToLiveInSeconds: integerText.optional(),
});

function parseShape<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new EmulatorError("InvalidRequestBody", `${where}${issue?.message ?? "invalid body"}`);
}

export function parseJsonCreate(body: unknown): SessionSettings {
  if (body === undefined || body === null) throw new EmulatorError("BadArgument");
  return applySessionRules(parseShape(jsonCreateSchema, body));
}

export function parseMultipartCreate(fields: Record<string, string>): VerifySessionSettings {
  const candidate = parseShape(multipartCreateSchema, fields);
  const settings = applySessionRules(candidate);
  const threshold = candidate.verifyConfidenceThreshold;
  // Face documents the 0..1 range but no code for it; InvalidRequestBody is the closest documented one.
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    throw new EmulatorError("InvalidRequestBody", "verifyConfidenceThreshold must be within 0 and 1");
  }
  return {
    ...settings,
    returnVerifyImageHash: candidate.returnVerifyImageHash ?? false,
    ...(threshold === undefined ? {} : { verifyConfidenceThreshold: threshold }),
  };
}

function applySessionRules(candidate: CreateCandidate): SessionSettings {
  const mode = candidate.livenessOperationMode;
  if (mode !== "Passive" && mode !== "PassiveActive") throw new EmulatorError("InvalidLivenessOperationMode");

  if (candidate.livenessModelVersion !== undefined && candidate.livenessModelVersion !== LIVENESS_MODEL_VERSION) {
    throw new EmulatorError("InvalidRequestBody", `livenessModelVersion must be "${LIVENESS_MODEL_VERSION}"`);
  }

  const ttl = candidate.authTokenTimeToLiveInSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (ttl < MIN_TOKEN_TTL_SECONDS || ttl > MAX_TOKEN_TTL_SECONDS) throw new EmulatorError("InvalidTokenLifetime");

  const setInClient = candidate.deviceCorrelationIdSetInClient ?? false;
  const deviceCorrelationId = candidate.deviceCorrelationId ?? undefined;
  if (setInClient && deviceCorrelationId !== undefined) {
    throw new EmulatorError("InvalidDeviceCorrelationId", "must be absent when deviceCorrelationIdSetInClient is true");
  }
  if (
    !setInClient &&
    (deviceCorrelationId === undefined ||
      deviceCorrelationId.length === 0 ||
      deviceCorrelationId.length > MAX_DEVICE_CORRELATION_ID_LENGTH)
  ) {
    throw new EmulatorError("InvalidDeviceCorrelationId");
  }

  return {
    livenessOperationMode: mode,
    ...(deviceCorrelationId === undefined ? {} : { deviceCorrelationId }),
    enableSessionImage: candidate.enableSessionImage ?? false,
    modelVersion: candidate.livenessModelVersion ?? LIVENESS_MODEL_VERSION,
    authTokenTimeToLiveInSeconds: ttl,
  };
}
