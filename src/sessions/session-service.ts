/**
 * Orchestrates a session's life: create at Face and remember who owns it, read the outcome, fetch the image,
 * delete it everywhere. Knows Face only through the FaceGateway interface.
 */
import type { FastifyBaseLogger } from "fastify";
import type { CallerPolicy } from "../callers/caller-policy.js";
import { AppError } from "../errors.js";
import type { CreateSessionParams, FaceGateway, FaceSession } from "../face/face-gateway.js";
import type { Clock } from "../lib/clock.js";
import { checkImage } from "../lib/image-format.js";
import { enforcePolicy, imageError } from "./session-create-rules.js";
import type { IdempotentCreates, IdempotentResult } from "./session-idempotency.js";
import type { CreateSessionInput } from "./session-input.js";
import type { LockoutGuard } from "./session-lockout.js";
import { isDeclinedOrSpoof, type FailedOutcomeRule } from "./session-outcome-rule.js";
import type { SessionCreated, SessionView } from "./session-schemas.js";
import type { SessionRecord, SessionStore } from "./session-store.js";
import { latestSessionImageId, publicStatus, toSessionView } from "./session-view.js";

/**
 * How long we remember a session after its token lapsed: long enough to read a late outcome and to delete it,
 * short enough that records of abandoned sessions do not pile up. Face itself forgets sessions within 48 hours.
 */
const RECORD_RETENTION_AFTER_TOKEN_MS = 24 * 60 * 60 * 1000;

export interface CallerContext {
  clientId: string;
  log: FastifyBaseLogger;
}

/** Optional collaborators: each feature is off when its piece is absent (tests that do not need them). */
export interface SessionServiceOptions {
  idempotency?: IdempotentCreates;
  lockout?: LockoutGuard;
  /** Which outcomes count against the attempt budget; swappable for a fuller decision policy. */
  isFailedOutcome?: FailedOutcomeRule;
}

export interface CreateContext extends CallerContext {
  policy: CallerPolicy;
  /** The validated Idempotency-Key header, when sent. */
  idempotencyKey?: string | undefined;
}

export class SessionService {
  constructor(
    private readonly face: FaceGateway,
    private readonly store: SessionStore,
    private readonly clock: Clock,
    private readonly options: SessionServiceOptions = {},
  ) {}

  /**
   * With an Idempotency-Key, a replay of an earlier create answers before anything else is checked: it is the same
   * request, and it gets the same response, even if the subject has been locked out since.
   */
  async create(input: CreateSessionInput, caller: CreateContext): Promise<IdempotentResult> {
    const { idempotency } = this.options;
    if (caller.idempotencyKey === undefined || !idempotency) return { created: await this.createOnce(input, caller), replayed: false };
    return idempotency.run(caller.clientId, caller.idempotencyKey, input, caller.log, () => this.createOnce(input, caller));
  }

  private async createOnce(input: CreateSessionInput, caller: CreateContext): Promise<SessionCreated> {
    enforcePolicy(input, caller.policy);
    // Before Face is called: a locked-out subject or device must not cost a Face transaction.
    await this.options.lockout?.assertNotLocked(caller.clientId, input);
    const params: CreateSessionParams = {
      livenessOperationMode: input.livenessOperationMode,
      authTokenTimeToLiveInSeconds: input.authTokenTtlSeconds,
      enableSessionImage: input.enableSessionImage,
    };
    if (input.deviceCorrelationId !== undefined) params.deviceCorrelationId = input.deviceCorrelationId;

    let reply;
    if (input.kind === "livenessWithVerify") {
      const check = checkImage(input.verifyImage ?? Buffer.alloc(0));
      if (!check.ok) throw imageError(check.problem);
      reply = await this.face.createLivenessWithVerifySession(
        {
          ...params,
          verifyImage: { bytes: input.verifyImage!, filename: `verifyImage.${check.format}`, contentType: check.mimeType },
          ...(input.verifyConfidenceThreshold !== undefined && { verifyConfidenceThreshold: input.verifyConfidenceThreshold }),
        },
        { log: caller.log },
      );
    } else {
      reply = await this.face.createLivenessSession(params, { log: caller.log });
    }

    const session = reply.value;
    const now = this.clock.now();
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
    };
    if (input.subject !== undefined) record.subject = input.subject;
    if (input.deviceCorrelationId !== undefined) record.deviceCorrelationId = input.deviceCorrelationId;
    await this.remember(record, caller);
    caller.log.info({ sessionId: record.id, kind: record.kind, faceRequestId: reply.requestId }, "session created");

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

  async get(id: string, caller: CallerContext): Promise<SessionView> {
    const { record, session } = await this.readFromFace(id, caller);
    const view = toSessionView(record, session);
    await this.observeOutcome(record, view, caller);
    return view;
  }

  async delete(id: string, caller: CallerContext): Promise<void> {
    const record = await this.owned(id, caller);
    try {
      const reply = await this.face.deleteSession(record.kind, record.id, { log: caller.log });
      caller.log.info({ sessionId: id, faceRequestId: reply.requestId }, "session deleted at Face");
    } catch (error) {
      // Already gone at Face (expired or deleted before): deleting is idempotent, so that is success.
      if (!(error instanceof AppError && error.code === "LSO_ERR_SESSION_NOT_FOUND")) throw error;
    }
    await this.store.delete(id);
  }

  async image(id: string, caller: CallerContext): Promise<Uint8Array> {
    const record = await this.owned(id, caller);
    if (!record.enableSessionImage) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
    const { session } = await this.readFromFace(id, caller, record);
    const imageId = latestSessionImageId(session);
    if (!imageId) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
    return (await this.face.getSessionImage(imageId, { log: caller.log })).value;
  }

  /** A session that does not exist and one that belongs to another caller look the same: 404. */
  private async owned(id: string, caller: CallerContext): Promise<SessionRecord> {
    const record = await this.store.get(id);
    if (!record || record.clientId !== caller.clientId) throw new AppError("LSO_ERR_SESSION_NOT_FOUND");
    return record;
  }

  private async readFromFace(id: string, caller: CallerContext, known?: SessionRecord): Promise<{ record: SessionRecord; session: FaceSession }> {
    const record = known ?? (await this.owned(id, caller));
    const session = (await this.face.getSession(record.kind, record.id, { log: caller.log })).value;
    const updated = await this.store.update(record.id, { lastKnownStatus: session.status, lastCheckedAt: this.clock.now() });
    return { record: updated ?? record, session };
  }

  /**
   * Counts a failed outcome against the session's subject and device, once per session: the store's compare-and-set
   * decides which of several concurrent reads counts it. A lockout-store failure does not fail the read (the caller
   * still gets its outcome); it is logged, and the outcome stays uncounted.
   */
  private async observeOutcome(record: SessionRecord, view: SessionView, caller: CallerContext): Promise<void> {
    const { lockout, isFailedOutcome = isDeclinedOrSpoof } = this.options;
    if (!lockout || record.outcomeCountedAt !== undefined || !isFailedOutcome(view)) return;
    if (record.subject === undefined && record.deviceCorrelationId === undefined) return;
    try {
      if (!(await this.store.markOutcomeCounted(record.id, this.clock.now()))) return;
      await lockout.recordFailure(caller.clientId, record, caller.log);
    } catch (error) {
      caller.log.error({ err: error, sessionId: record.id }, "could not count a failed outcome towards the lockout");
    }
  }

  /** If we cannot remember a session, it must not live on at Face as an orphan nobody can delete. */
  private async remember(record: SessionRecord, caller: CallerContext): Promise<void> {
    try {
      await this.store.put(record);
    } catch (error) {
      caller.log.error({ err: error, sessionId: record.id }, "could not store the session; deleting it at Face");
      await this.face.deleteSession(record.kind, record.id, { log: caller.log }).catch((cleanupError: unknown) => {
        caller.log.error({ err: cleanupError, sessionId: record.id }, "orphan session left at Face");
      });
      throw error;
    }
  }
}
