/**
 * The public API v1 shapes. Requests are strict (an unknown field is a 400, so typos surface) and responses are
 * allow-lists (the serializer drops anything not declared, so a Face field can never leak through by accident).
 */
import { z } from "zod";
import { plainText } from "../lib/plain-text.js";
import { consentMethods } from "../state/session-record.js";
import { decisionSchema } from "./decision/decision-schemas.js";

export const sessionKindSchema = z.enum(["liveness", "livenessWithVerify"]);

/**
 * Face session ids are GUIDs; anything else is refused before it can reach a URL we build. GUIDs are
 * case-insensitive (RFC 9562 §4), and some clients and tools print them in upper case, so an upper-case id is
 * normalised to the lower case Face issues and we store, rather than refused: refusing a valid spelling of the
 * caller's own id would only break clients, and a 404 for it (as before) was worse, since it looked like a lost session.
 */
export const sessionIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be a session id (a GUID)")
  .toLowerCase()
  .describe("The session id, as returned by POST /v1/sessions (case-insensitive).");

export const sessionParamsSchema = z.object({ id: sessionIdSchema });

/** Face's own default token lifetime. */
export const DEFAULT_TOKEN_TTL_SECONDS = 600;

/** A base64 JPEG of 6 MB is 8 MiB of text; a little slack for padding. */
const MAX_BASE64_IMAGE_CHARS = 8_400_000;

/** The longest callbackUrl; also the longest text any create field takes (session-input.ts sizes multipart parts by it). */
export const MAX_CALLBACK_URL_CHARS = 2048;

const urlOf = (value: string): URL | undefined => (URL.canParse(value) ? new URL(value) : undefined);

/**
 * The shape of a callbackUrl; the SSRF rules that depend on configuration run at create (webhooks/webhook-url.ts).
 * Length and the free-text rule run on the text as sent, before z.url, which trims it and drops tabs and line breaks:
 * a URL with control characters is refused, never quietly rewritten into another one.
 */
export const callbackUrlSchema = plainText(z.string().max(MAX_CALLBACK_URL_CHARS, { message: `must be at most ${MAX_CALLBACK_URL_CHARS} characters` }))
  .pipe(
    z
      .url({ protocol: /^https?$/, message: "must be an absolute https URL" })
      // Credentials in a URL end up in proxies' and receivers' logs; receivers authenticate us by the signature instead.
      .refine((value) => !urlOf(value)?.username && !urlOf(value)?.password, "must not contain credentials (user:password@)")
      .refine((value) => !urlOf(value)?.hash, "must not contain a #fragment"),
  )
  // The document shows the pipe's input side (a string): say what that string is.
  .meta({ format: "uri" })
  .describe(
    "Where to POST the signed session.decided webhook once the session settles: https, at most 2048 characters, no credentials, " +
      "a public (global unicast) host on port 443 or another port the operator allows. See docs/security.md.",
  );

/**
 * The caller's evidence of the person's consent. Shape only here; the age of consentedAt depends on the clock and
 * CONSENT_MAX_AGE_SECONDS, so session-create-rules.ts checks it. Never sent to Face.
 */
export const consentSchema = z
  .strictObject({
    noticeVersion: plainText(z.string().min(1).max(64)).describe("The version of the notice text the person saw, e.g. 2026-03 or v4."),
    consentedAt: z.iso.datetime({ offset: true }).describe("When the person consented (ISO 8601); not in the future, not older than CONSENT_MAX_AGE_SECONDS."),
    method: z.enum(consentMethods).describe("How the person consented."),
    reference: plainText(z.string().min(1).max(128)).optional().describe("Your own record id for this consent."),
  })
  .describe("Evidence of the person's consent; kept with the session, shown in GET, the audit trail and the webhook; never sent to Face.");

/** Field schemas shared by the JSON and the multipart encodings of a create request. */
const common = {
  livenessOperationMode: z
    .enum(["Passive", "PassiveActive"])
    .default("PassiveActive")
    .describe("Passive is the only mode mobile SDKs support; PassiveActive is preferred on the web."),
  deviceCorrelationId: plainText(
    z
      .string()
      .min(1)
      .max(64, { abort: true })
      // zod counts code points, Face (.NET) counts UTF-16 units: 33 emoji pass the first check and fail at Face.
      .refine((value) => value.length <= 64, "Too big: expected at most 64 UTF-16 code units (an emoji counts as two)"),
  )
    .optional()
    .describe("A unique id per end-user device, without control or bidi characters. When absent, the device SDK supplies it."),
  authTokenTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(86400)
    .default(DEFAULT_TOKEN_TTL_SECONDS)
    .describe("Lifetime of the session auth token handed to the device, in seconds."),
  enableSessionImage: z
    .boolean()
    .default(false)
    .describe("Ask Face to keep the session image, readable at GET /v1/sessions/{id}/image until the session is deleted."),
  subject: plainText(z.string().min(1).max(128))
    .optional()
    .describe("Your opaque reference for the end user, without control or bidi characters. Kept by this service; never sent to Face."),
  callbackUrl: callbackUrlSchema.optional(),
  consent: consentSchema.optional(),
};

const verifyConfidenceThreshold = z
  .number()
  .min(0)
  .max(1)
  .optional()
  .describe("Match confidence at or above which Face reports the faces as identical.");

export const createLivenessJsonSchema = z.strictObject({ kind: z.literal("liveness"), ...common });

export const createVerifyJsonSchema = z.strictObject({
  kind: z.literal("livenessWithVerify"),
  ...common,
  verifyConfidenceThreshold,
  verifyImage: z
    .base64({ message: "must be base64 (no data: prefix)" })
    .max(MAX_BASE64_IMAGE_CHARS, { message: "is larger than 6 MB" })
    .describe("The reference image, base64: JPEG, PNG, GIF or BMP, 1 KB to 6 MB, exactly one face."),
});

export const createSessionJsonSchema = z.discriminatedUnion("kind", [createLivenessJsonSchema, createVerifyJsonSchema]);

/**
 * The multipart encoding: every field arrives as text, so numbers and booleans are spelled out and converted here.
 * The verifyImage file part is read separately (it is a stream, not a field).
 */
const booleanText = z.enum(["true", "false"]).transform((v) => v === "true");
const numberText = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, "must be a number")
  .transform(Number);

export const createSessionMultipartFieldsSchema = z.strictObject({
  kind: sessionKindSchema,
  livenessOperationMode: common.livenessOperationMode,
  deviceCorrelationId: common.deviceCorrelationId,
  authTokenTtlSeconds: numberText
    .pipe(common.authTokenTtlSeconds.unwrap())
    .default(DEFAULT_TOKEN_TTL_SECONDS)
    .describe(`${common.authTokenTtlSeconds.description} 60 to 86400, default 600.`),
  enableSessionImage: booleanText.default(false).describe(`${common.enableSessionImage.description} "true" or "false".`),
  subject: common.subject,
  callbackUrl: common.callbackUrl,
  consent: z
    .string()
    .max(1024, { message: "must be at most 1024 characters" })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON object" });
        return z.NEVER;
      }
    })
    .pipe(consentSchema)
    .optional()
    .describe("The consent evidence as one JSON text field, e.g. {\"noticeVersion\":\"v4\",\"consentedAt\":\"...\",\"method\":\"checkbox\"}."),
  verifyConfidenceThreshold: numberText.pipe(verifyConfidenceThreshold.unwrap()).optional().describe(`${verifyConfidenceThreshold.description} 0 to 1.`),
});

export const attemptStatusSchema = z.enum(["notStarted", "running", "succeeded", "failed", "canceled"]);

export const sessionCreatedSchema = z
  .object({
    id: sessionIdSchema,
    kind: sessionKindSchema,
    status: attemptStatusSchema,
    authToken: z.string().describe("Hand this to the device SDK. Returned only here; it is never logged or shown again."),
    authTokenExpiresAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    subject: z.string().optional(),
  })
  .meta({ id: "SessionCreated" });

const verifyResultSchema = z.object({
  matchConfidence: z.number().min(0).max(1).optional().describe("Face's raw score; only for clients whose policy sets decision.exposeScores."),
  isIdentical: z.boolean(),
});

const livenessDecisionSchema = z.enum(["uncertain", "realface", "spoofface"]);

export const attemptViewSchema = z
  .object({
    attemptId: z.number().int(),
    status: attemptStatusSchema,
    livenessDecision: livenessDecisionSchema.optional(),
    verifyResult: verifyResultSchema.optional(),
    digest: z.string().optional().describe("Face's integrity digest of this attempt; compare with the one the device SDK returned."),
    hasSessionImage: z.boolean(),
    error: z.object({ code: z.string(), message: z.string() }).optional().describe("Why the attempt failed, e.g. FaceWithMaskDetected."),
  })
  .meta({ id: "Attempt" });

export const sessionViewSchema = z
  .object({
    id: sessionIdSchema,
    kind: sessionKindSchema,
    status: attemptStatusSchema,
    subject: z.string().optional(),
    deviceCorrelationId: z.string().optional(),
    consent: consentSchema.optional(),
    createdAt: z.iso.datetime(),
    authTokenExpiresAt: z.iso.datetime(),
    checkedAt: z.iso.datetime().describe("When this service last read the session from Face."),
    modelVersion: z.string().optional(),
    attempts: z.array(attemptViewSchema).describe("Newest first, ordered by attemptId."),
    latestAttempt: attemptViewSchema.nullable().describe("The attempt with the highest attemptId, or null."),
    livenessDecision: livenessDecisionSchema.nullable(),
    verifyResult: verifyResultSchema.nullable(),
    digest: z.string().nullable(),
    hasSessionImage: z.boolean(),
    // Not described here: a described copy would lose the schema's component id ("Decision") in the OpenAPI document.
    decision: decisionSchema,
  })
  .meta({ id: "Session" });

/** Face's digests are 64 hex characters today; a little room either way, in case the format grows. */
export const clientDigestSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{16,128}$/, "must be the hex digest the device SDK returned")
  .describe("The digest the device SDK gave your app when the attempt finished; compared case-insensitively.");

/** The longest long-poll; well under every proxy's and our own idle timeouts. */
export const MAX_WAIT_SECONDS = 30;

export const sessionQuerySchema = z.object({
  clientDigest: clientDigestSchema.optional(),
  waitSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .default(0)
    .describe("Long-poll: answer as soon as the view changes from the one you hold (If-None-Match, else the view as the wait began), or after this many seconds."),
});

export const completeSessionBodySchema = z.strictObject({ clientDigest: clientDigestSchema });

export type CreateSessionJson = z.infer<typeof createSessionJsonSchema>;
export type SessionCreated = z.infer<typeof sessionCreatedSchema>;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const sessionKinds: ReadonlySet<unknown> = new Set(sessionKindSchema.options);
const attemptStatuses: ReadonlySet<unknown> = new Set(attemptStatusSchema.options);

/**
 * The create's 201 body as sessionCreatedSchema encodes it (its keys, in its order, the id in lower case), written
 * out so a create is not paid the schema's walk. Undefined when a value is not what the schema expects: the caller
 * then lets the schema encode it and refuse it as it always did. A test holds the two to the same bytes.
 */
export function encodeSessionCreated(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, kind, status, authToken, authTokenExpiresAt, createdAt, subject } = value as Record<string, unknown>;
  if (typeof id !== "string" || !GUID.test(id) || !sessionKinds.has(kind) || !attemptStatuses.has(status)) return undefined;
  if (typeof authToken !== "string" || typeof authTokenExpiresAt !== "string" || typeof createdAt !== "string") return undefined;
  if (subject !== undefined && typeof subject !== "string") return undefined;
  const created: Record<string, unknown> = { id: id.toLowerCase(), kind, status, authToken, authTokenExpiresAt, createdAt };
  if (subject !== undefined) created.subject = subject;
  return JSON.stringify(created);
}
export type SessionView = z.infer<typeof sessionViewSchema>;
export type AttemptView = z.infer<typeof attemptViewSchema>;
export type PublicStatus = z.infer<typeof attemptStatusSchema>;
