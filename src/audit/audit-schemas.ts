/**
 * The audit trail's public shapes. AuditEntry is the allow-list twice over: audit-entry.ts builds entries field by
 * field from it, and the route's response serializer drops anything it does not declare. Nothing here can hold a
 * token, an image, a key, a digest value or a URL beyond its origin.
 */
import { z } from "zod";
import { decisionOutcomeSchema } from "../sessions/decision/decision-schemas.js";
import { consentSchema, sessionIdSchema, sessionKindSchema } from "../sessions/session-schemas.js";
import type { SessionEvent } from "../state/session-events.js";
import { auditEventTypes, type AuditEntry } from "../state/audit-log.js";
import { digestChecks } from "../state/session-record.js";

/** Fails to compile when the audit log knows an event type the session core does not emit. */
const _everyAuditedEventEmitted: Exclude<(typeof auditEventTypes)[number], "subjectErased"> extends SessionEvent["type"] ? true : never = true;

/** Fails to compile when session-events.ts gains an event type the audit trail does not know yet. */
type UnauditedEvent = Exclude<SessionEvent["type"], (typeof auditEventTypes)[number]>;
const _everyEventAudited: [UnauditedEvent] extends [never] ? true : never = true;

export const auditEntrySchema = z
  .object({
    at: z.iso.datetime().describe("When it happened."),
    event: z.enum(auditEventTypes),
    actor: z.string().describe('The client id for caller actions; "system" for the watcher, cleanup and webhook worker.'),
    faceRequestId: z.string().optional().describe("Face's apim-request-id of the call behind the event, when there was one."),
    modelVersion: z.string().optional().describe("Face's liveness model version, when known."),
    kind: sessionKindSchema.optional().describe("created: the session kind."),
    callbackOrigin: z.string().optional().describe("created: the webhook callback's origin only (never its path or query)."),
    tokenExpiresAt: z.iso.datetime().optional().describe("tokenIssued: when the auth token lapses. The token itself is never recorded."),
    attemptId: z.number().int().optional(),
    attemptStatus: z.string().optional(),
    outcome: decisionOutcomeSchema.optional().describe("decided: the decision."),
    reasons: z
      .array(z.object({ code: z.string(), faceCode: z.string().optional() }))
      .optional()
      .describe("decided: the decision's reason codes."),
    digestCheck: z.enum(digestChecks).optional().describe("decided: the integrity gate's verdict (never the digest values)."),
    webhookId: z.string().optional(),
    webhookAttempt: z.number().int().optional(),
    httpStatus: z.number().int().optional().describe("webhook*: the receiver's HTTP status, when it answered."),
    final: z.boolean().optional().describe("webhookFailed: true when no retry follows."),
    errorCode: z.string().optional().describe("webhookFailed: a short error code, when the failure had one."),
    retainUntil: z.iso.datetime().optional().describe("imageRetained: until when the session image is kept."),
    consent: consentSchema.optional().describe("created: the consent evidence given on create."),
    erased: z
      .object({ sessions: z.number().int(), images: z.number().int(), faceDeletions: z.number().int(), faceDeletionsPending: z.number().int() })
      .optional()
      .describe("subjectErased: what the erasure removed."),
    subjectHmac: z.string().optional().describe("subjectErased: an HMAC of the subject under a server secret (never the subject)."),
  })
  .meta({ id: "AuditEntry" });

/** The schema publishes exactly the entry the state layer stores. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _schemaMatchesEntry: Same<z.infer<typeof auditEntrySchema>, AuditEntry> = true;

export const auditTrailSchema = z
  .object({
    sessionId: sessionIdSchema,
    entries: z.array(auditEntrySchema).describe("Oldest first, in the order the events happened."),
  })
  .meta({ id: "AuditTrail" });
