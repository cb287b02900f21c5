/**
 * zod schemas for what the Redis stores read back. Redis is a boundary like any other: another version of this
 * service (a rolling deploy) or a hand edit may have written what we read, so a record is parsed, not cast. The
 * plain types live in state/; `satisfies` below keeps each schema and its type in step at compile time.
 */
import { z } from "zod";
import type { FaceOperationState, LivenessDecision, SessionKind } from "../../face/face-gateway.js";
import { auditEventTypes, type AuditEntry } from "../audit-log.js";
import { consentMethods, decisionOutcomes, digestChecks, type ConsentEvidence, type AttemptSnapshot, type Decision, type SessionSnapshot } from "../session-record.js";
import type { SessionRecord } from "../session-store.js";
import type { DeliveryAttempt } from "../webhook-outbox.js";

// Enums owned by face/ are types only there (state/ imports no face/ runtime), so they are listed here.
const faceOperationState = z.enum(["NotStarted", "Running", "Succeeded", "Failed", "Canceled"] satisfies FaceOperationState[]);
const sessionKind = z.enum(["liveness", "livenessWithVerify"] satisfies SessionKind[]);
const livenessDecision = z.enum(["uncertain", "realface", "spoofface"] satisfies LivenessDecision[]);

const attemptSnapshot = z.object({
  attemptId: z.number(),
  attemptStatus: faceOperationState,
  livenessDecision: livenessDecision.optional(),
  verifyResult: z.object({ matchConfidence: z.number(), isIdentical: z.boolean() }).optional(),
  digest: z.string().optional(),
  verifyImageHash: z.string().optional(),
  sessionImageId: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
}) satisfies z.ZodType<AttemptSnapshot>;

const sessionSnapshot = z.object({
  status: faceOperationState,
  modelVersion: z.string().optional(),
  attempts: z.array(attemptSnapshot),
}) satisfies z.ZodType<SessionSnapshot>;

const decision = z.object({
  outcome: z.enum(decisionOutcomes),
  reasons: z.array(z.object({ code: z.string(), faceCode: z.string().optional(), advice: z.string().optional() })),
  decidedAt: z.string().nullable(),
}) satisfies z.ZodType<Decision>;

const consentRecord = z.object({
  noticeVersion: z.string(),
  consentedAt: z.string(),
  method: z.enum(consentMethods),
  reference: z.string().optional(),
}) satisfies z.ZodType<ConsentEvidence>;

export const sessionRecordSchema = z.object({
  id: z.string(),
  kind: sessionKind,
  clientId: z.string(),
  subject: z.string().optional(),
  deviceCorrelationId: z.string().optional(),
  enableSessionImage: z.boolean(),
  createdAt: z.number(),
  authTokenExpiresAt: z.number(),
  expiresAt: z.number(),
  lastKnownStatus: faceOperationState,
  lastCheckedAt: z.number(),
  outcomeCountedAt: z.number().optional(),
  callbackUrl: z.string().optional(),
  consent: consentRecord.optional(),
  idempotencyKey: z.string().optional(),
  erased: z.boolean().optional(),
  verifyImageSha256: z.string().optional(),
  clientDigest: z.string().optional(),
  snapshot: sessionSnapshot.optional(),
  lastAttemptSeen: z.number().optional(),
  decision: decision.optional(),
  digestCheck: z.enum(digestChecks).optional(),
  decisionReadAt: z.number().optional(),
  webhookDeliveredAt: z.number().optional(),
  deletedAtFaceAt: z.number().optional(),
  imageNotRetainedAt: z.number().optional(),
  faceDeletionDue: z.boolean().optional(),
  dueAt: z.number().optional(),
  watchIntervalMs: z.number().optional(),
  claim: z.number().optional(),
}) satisfies z.ZodType<SessionRecord>;

export const deliveryAttemptSchema = z.object({
  attempt: z.number(),
  series: z.number(),
  at: z.number(),
  statusCode: z.number().optional(),
  error: z.string().optional(),
  nextAttemptAt: z.number().optional(),
  final: z.boolean(),
}) satisfies z.ZodType<DeliveryAttempt>;

export const auditEntrySchema = z.object({
  at: z.string(),
  event: z.enum(auditEventTypes),
  actor: z.string(),
  faceRequestId: z.string().optional(),
  modelVersion: z.string().optional(),
  kind: sessionKind.optional(),
  callbackOrigin: z.string().optional(),
  tokenExpiresAt: z.string().optional(),
  attemptId: z.number().optional(),
  attemptStatus: z.string().optional(),
  outcome: z.enum(decisionOutcomes).optional(),
  reasons: z.array(z.object({ code: z.string(), faceCode: z.string().optional() })).optional(),
  digestCheck: z.enum(digestChecks).optional(),
  webhookId: z.string().optional(),
  webhookAttempt: z.number().optional(),
  httpStatus: z.number().optional(),
  final: z.boolean().optional(),
  errorCode: z.string().optional(),
  retainUntil: z.string().optional(),
  consent: consentRecord.optional(),
  erased: z.object({ sessions: z.number(), images: z.number(), faceDeletions: z.number(), faceDeletionsPending: z.number() }).optional(),
  subjectHmac: z.string().optional(),
}) satisfies z.ZodType<AuditEntry>;
