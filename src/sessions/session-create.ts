/**
 * Creating a session: check the caller's policy and lockout, take one of its live-session slots, create it at Face
 * (asking for the verify image hash), remember who owns it with a first snapshot, and announce it (created,
 * tokenIssued).
 */
import { createHash, randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import type { CreateSessionParams, FaceCallContext, FaceGateway } from "../face/face-gateway.js";
import { scopedIdempotencyKey } from "../idempotency/idempotency-creates.js";
import type { CallerPolicy } from "../lib/caller-policy.js";
import type { Clock } from "../lib/clock.js";
import { checkImage } from "../lib/image-format.js";
import type { LockoutGuard } from "../lockout/lockout-guard.js";
import type { SessionEvents } from "../state/session-events.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import { enforceConsent, enforcePolicy, imageError } from "./session-create-rules.js";
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
  /** SESSION_MAX_LIVE_PER_CLIENT: the live-session cap of a client whose policy sets none. */
  maxLivePerClient: number;
  /** How long a create may hold its live-session slot before it is taken back: longer than any create can take. */
  liveHoldMs: number;
}

/**
 * The longest Retry-After a refused create is told. A slot surely frees when the earliest token lapses, which may
 * be hours away; one may free much sooner (a settle, a delete), so the caller is told to look again within a minute.
 */
const MAX_LIVE_RETRY_AFTER_SECONDS = 60;

export async function createSession(deps: CreateDeps, input: CreateSessionInput, caller: CreateContext): Promise<SessionCreated> {
  const { clock } = deps;
  enforcePolicy(input, caller.policy);
  enforceConsent(input, caller.policy, clock.now(), deps.consentMaxAgeMs);
  if (input.callbackUrl !== undefined) deps.checkCallbackUrl?.(input.callbackUrl);
  // Before Face is called: a locked-out subject or device must not cost a Face transaction.
  await deps.lockout?.assertNotLocked(caller.clientId, input);
  // Last of the checks, as it takes a slot: a create refused by any other check holds none.
  const slot: Slot = { ticket: await admit(deps, caller), released: false };
  try {
    return await createAdmitted(deps, input, caller, slot);
  } finally {
    // The record's put gave the ticket's slot back as the record took its own; a create that failed frees it here.
    if (!slot.released) {
      await deps.store.releaseLive(caller.clientId, slot.ticket).catch((error: unknown) => caller.log.warn({ err: error }, "could not free a live-session slot; it frees itself"));
    }
  }
}

/** A create's live-session ticket, and whether the record's put has given it back. */
interface Slot {
  ticket: string;
  released: boolean;
}

/**
 * Takes one of the client's live-session slots, or refuses with 429 before Face is called: a client that creates
 * sessions and never finishes them must not fill the store (each record is kept for the token's life and a day).
 */
async function admit(deps: CreateDeps, caller: CreateContext): Promise<string> {
  const ticket = randomUUID();
  const now = deps.clock.now();
  const max = caller.policy.maxLiveSessions ?? deps.maxLivePerClient;
  const admission = await deps.store.admitLive(caller.clientId, ticket, max, now + deps.liveHoldMs);
  if (admission.admitted) return ticket;
  const retryAfterSeconds = Math.min(MAX_LIVE_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((admission.freesAt - now) / 1000)));
  caller.log.info({ maxLiveSessions: max }, "create refused: the client holds its most live sessions");
  throw new AppError("LSO_ERR_TOO_MANY_LIVE_SESSIONS", { retryAfterSeconds });
}

async function createAdmitted(deps: CreateDeps, input: CreateSessionInput, caller: CreateContext, slot: Slot): Promise<SessionCreated> {
  const { face, clock, events } = deps;
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
  if (caller.idempotencyKey !== undefined) record.idempotencyKey = scopedIdempotencyKey(caller.clientId, caller.idempotencyKey);
  record.dueAt = deps.schedule.firstDueAt(record);
  await remember(deps, record, caller.log, slot);
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
async function remember(deps: CreateDeps, record: SessionRecord, log: FastifyBaseLogger, slot: Slot): Promise<void> {
  try {
    await deps.store.put(record, { releaseLive: slot.ticket });
    slot.released = true;
  } catch (error) {
    log.error({ err: error, sessionId: record.id }, "could not store the session; deleting it at Face");
    await deps.face.deleteSession(record.kind, record.id, { log, clientId: record.clientId, priority: "delete" }).catch((cleanupError: unknown) => {
      log.error({ err: cleanupError, sessionId: record.id }, "orphan session left at Face");
    });
    throw error;
  }
}
