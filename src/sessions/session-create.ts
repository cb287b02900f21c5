/**
 * Creating a session: check the caller's policy and lockout, create it at Face (asking for the verify image hash),
 * remember who owns it with a first snapshot, and announce it (created, tokenIssued).
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { CreateSessionParams, FaceCallContext, FaceGateway } from "../face/face-gateway.js";
import type { CallerPolicy } from "../lib/caller-policy.js";
import type { Clock } from "../lib/clock.js";
import { checkImage } from "../lib/image-format.js";
import type { LockoutGuard } from "../lockout/lockout-guard.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import { enforceConsent, enforcePolicy, imageError } from "./session-create-rules.js";
import type { SessionEvents } from "./session-events.js";
import type { CreateSessionInput } from "./session-input.js";
import type { SessionSchedule } from "./session-schedule.js";
import type { SessionCreated } from "./session-schemas.js";
import { snapshotOf } from "./session-snapshot.js";
import { publicStatus } from "./session-view.js";

/**
 * How long we remember a session after its token lapsed: long enough to read a late outcome and to delete it,
 * short enough that records of abandoned sessions do not pile up. Face itself forgets sessions within 48 hours.
 */
const RECORD_RETENTION_AFTER_TOKEN_MS = 24 * 60 * 60 * 1000;

export interface CreateContext {
  clientId: string;
  log: FastifyBaseLogger;
  policy: CallerPolicy;
  /** The validated Idempotency-Key header, when sent. */
  idempotencyKey?: string | undefined;
}

export interface CreateDeps {
  face: FaceGateway;
  store: SessionStore;
  /** Gives the new record its first due time (the watcher's first poll, or the token's lapse). */
  schedule: SessionSchedule;
  clock: Clock;
  events: SessionEvents;
  lockout?: LockoutGuard | undefined;
  /** The webhook feature's create-time check of a callbackUrl (throws an AppError); absent: any valid URL is kept. */
  checkCallbackUrl?: ((url: string) => void) | undefined;
  /** CONSENT_MAX_AGE_SECONDS in ms. */
  consentMaxAgeMs: number;
}

export async function createSession(deps: CreateDeps, input: CreateSessionInput, caller: CreateContext): Promise<SessionCreated> {
  const { face, clock, events } = deps;
  enforcePolicy(input, caller.policy);
  enforceConsent(input, caller.policy, clock.now(), deps.consentMaxAgeMs);
  if (input.callbackUrl !== undefined) deps.checkCallbackUrl?.(input.callbackUrl);
  // Before Face is called: a locked-out subject or device must not cost a Face transaction.
  await deps.lockout?.assertNotLocked(caller.clientId, input);
  const params: CreateSessionParams = {
    livenessOperationMode: input.livenessOperationMode,
    authTokenTimeToLiveInSeconds: input.authTokenTtlSeconds,
    enableSessionImage: input.enableSessionImage,
  };
  if (input.deviceCorrelationId !== undefined) params.deviceCorrelationId = input.deviceCorrelationId;

  const faceCtx: FaceCallContext = { log: caller.log, clientId: caller.clientId, priority: "create" };
  let reply;
  let verifyImageSha256: string | undefined;
  if (input.kind === "livenessWithVerify") {
    const check = checkImage(input.verifyImage ?? Buffer.alloc(0));
    if (!check.ok) throw imageError(check.problem);
    verifyImageSha256 = createHash("sha256").update(input.verifyImage!).digest("hex");
    reply = await face.createLivenessWithVerifySession(
      {
        ...params,
        verifyImage: { bytes: input.verifyImage!, filename: `verifyImage.${check.format}`, contentType: check.mimeType },
        // Face then reports the hash of the image it verified against, which must be ours (decision/decision-policy.ts).
        returnVerifyImageHash: true,
        ...(input.verifyConfidenceThreshold !== undefined && { verifyConfidenceThreshold: input.verifyConfidenceThreshold }),
      },
      faceCtx,
    );
  } else {
    reply = await face.createLivenessSession(params, faceCtx);
  }

  const session = reply.value;
  const now = clock.now();
  const record: SessionRecord = {
    id: session.sessionId,
    kind: input.kind,
    clientId: caller.clientId,
    enableSessionImage: input.enableSessionImage,
    createdAt: now,
    authTokenExpiresAt: now + input.authTokenTtlSeconds * 1000,
    expiresAt: now + input.authTokenTtlSeconds * 1000 + RECORD_RETENTION_AFTER_TOKEN_MS,
    lastKnownStatus: session.status,
    lastCheckedAt: now,
    snapshot: snapshotOf(session),
  };
  if (verifyImageSha256 !== undefined) record.verifyImageSha256 = verifyImageSha256;
  if (input.subject !== undefined) record.subject = input.subject;
  if (input.deviceCorrelationId !== undefined) record.deviceCorrelationId = input.deviceCorrelationId;
  if (input.callbackUrl !== undefined) record.callbackUrl = input.callbackUrl;
  if (input.consent !== undefined) record.consent = input.consent;
  // Scoped as the idempotency store keys it, so an erasure can drop the stored response with its token.
  if (caller.idempotencyKey !== undefined) record.idempotencyKey = `${caller.clientId}:${caller.idempotencyKey}`;
  record.dueAt = deps.schedule.firstDueAt(record);
  await remember(deps, record, caller.log);
  caller.log.info({ sessionId: record.id, kind: record.kind, faceRequestId: reply.requestId }, "session created");

  const base = { sessionId: record.id, clientId: caller.clientId, at: now, actor: caller.clientId, ...(reply.requestId !== undefined && { faceRequestId: reply.requestId }) };
  events.emit({
    type: "created",
    ...base,
    kind: record.kind,
    ...(record.subject !== undefined && { subject: record.subject }),
    ...(input.callbackUrl !== undefined && { callbackUrl: input.callbackUrl }),
    ...(input.consent !== undefined && { consent: input.consent }),
  });
  events.emit({ type: "tokenIssued", ...base, authTokenExpiresAt: record.authTokenExpiresAt });

  const created: SessionCreated = {
    id: record.id,
    kind: record.kind,
    status: publicStatus(session.status),
    authToken: session.authToken,
    authTokenExpiresAt: new Date(record.authTokenExpiresAt).toISOString(),
    createdAt: new Date(record.createdAt).toISOString(),
  };
  if (record.subject !== undefined) created.subject = record.subject;
  return created;
}

/** If we cannot remember a session, it must not live on at Face as an orphan nobody can delete. */
async function remember(deps: CreateDeps, record: SessionRecord, log: FastifyBaseLogger): Promise<void> {
  try {
    await deps.store.put(record);
  } catch (error) {
    log.error({ err: error, sessionId: record.id }, "could not store the session; deleting it at Face");
    await deps.face.deleteSession(record.kind, record.id, { log, clientId: record.clientId, priority: "delete" }).catch((cleanupError: unknown) => {
      log.error({ err: cleanupError, sessionId: record.id }, "orphan session left at Face");
    });
    throw error;
  }
}
