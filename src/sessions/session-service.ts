/**
 * Orchestrates a session's life for callers: create at Face and remember who owns it, read and decide the outcome
 * (optionally waiting for it), take the client digest, serve the image, delete it everywhere. Knows Face only
 * through the FaceGateway interface; syncing, long-poll and cleanup live in their own modules.
 */
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import type { IdempotentCreates, IdempotentResult } from "../idempotency/idempotency-creates.js";
import type { CallerPolicy } from "../lib/caller-policy.js";
import type { ImageStore } from "../state/image-store.js";
import type { SessionRecord, SessionRecordPatch } from "../state/session-store.js";
import type { SessionCleanup } from "./session-cleanup.js";
import { createSession, type CreateContext, type CreateDeps } from "./session-create.js";
import type { CreateSessionInput } from "./session-input.js";
import { listSessions } from "./session-list.js";
import type { SessionList, SessionListQueryInput } from "./session-list-schemas.js";
import type { SessionPollHub } from "./session-poll-hub.js";
import type { SessionCreated, SessionView } from "./session-schemas.js";
import { latestImageId, snapshotOfRecord } from "./session-snapshot.js";
import type { Actor, SessionSync } from "./session-sync.js";
import { contentTagOf, contentTagsOf } from "./session-http.js";
import { toSessionView } from "./session-view.js";
import { SettledViewCache, type EncodedView } from "./session-view-cache.js";

export type { CreateContext };

export interface CallerContext {
  clientId: string;
  log: FastifyBaseLogger;
}

export interface ReadOptions {
  clientDigest?: string | undefined;
  /** Long-poll: how long to wait for the view to change, in ms. */
  waitMs?: number;
  /** Long-poll: the caller's If-None-Match, the view it holds; without one, the view as the wait begins. */
  ifNoneMatch?: string | undefined;
}

export interface SessionServiceDeps extends CreateDeps {
  images: ImageStore;
  sync: SessionSync;
  hub: SessionPollHub;
  cleanup: SessionCleanup;
  policyOf: (clientId: string) => CallerPolicy;
  idempotency?: IdempotentCreates<SessionCreated> | undefined;
  /** The longest long-poll, in ms. */
  maxWaitMs: number;
}

const sameHex = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** A view and how it is sent: the route's serializer (reply.serialize), so cached bytes equal what it would send. */
export type EncodeView = (view: SessionView) => EncodedView;

export class SessionService {
  private readonly settledViews = new SettledViewCache();
  /** Content tags by record object: every waiter on a session checks the same record after each read. */
  private readonly contentTags = new WeakMap<SessionRecord, { exposeScores: boolean; tag: string }>();

  constructor(private readonly deps: SessionServiceDeps) {}

  /**
   * With an Idempotency-Key, a replay of an earlier create answers before anything else is checked: it is the same
   * request, and it gets the same response, even if the subject has been locked out since.
   */
  async create(input: CreateSessionInput, caller: CreateContext): Promise<IdempotentResult<SessionCreated>> {
    const { idempotency } = this.deps;
    // The closure only for the idempotency wrapper: a create without a key is not made to allocate one.
    if (caller.idempotencyKey === undefined || !idempotency) return { created: await createSession(this.deps, input, caller), replayed: false };
    return idempotency.run(caller.clientId, caller.idempotencyKey, input, caller.log, () => createSession(this.deps, input, caller));
  }

  /**
   * GET and POST /complete. A settled session is served from its snapshot without calling Face. A client digest is
   * taken while the session is unsettled; on a settled one, the same digest is answered with the settled view
   * (idempotent) and any other with 409 LSO_ERR_SESSION_SETTLED. One read of the record, and at most one write (what
   * changed, all together), unless the caller waits (long-poll).
   */
  async read(id: string, caller: CallerContext, options: ReadOptions = {}): Promise<SessionView> {
    const { record, exposeScores } = await this.readRecord(id, caller, options);
    return this.viewOf(record, exposeScores);
  }

  /**
   * read(), encoded: a settled session's bytes and ETag come from the per-process cache after its first read, so
   * the hot path of a settled GET is one store read and no view, JSON or hash work.
   */
  async readEncoded(id: string, caller: CallerContext, options: ReadOptions, encode: EncodeView): Promise<EncodedView> {
    const { record, exposeScores } = await this.readRecord(id, caller, options);
    if (!record.decision) return encode(this.viewOf(record, exposeScores));
    const version = { decidedAt: record.decision.decidedAt, lastCheckedAt: record.lastCheckedAt, exposeScores };
    const cached = this.settledViews.get(id, version);
    if (cached) return cached;
    const encoded = encode(this.viewOf(record, exposeScores));
    this.settledViews.set(id, version, encoded);
    return encoded;
  }

  private viewOf(record: SessionRecord, exposeScores: boolean): SessionView {
    return toSessionView(record, this.deps.sync.decisionOf(record).decision, exposeScores);
  }

  private async readRecord(id: string, caller: CallerContext, options: ReadOptions): Promise<{ record: SessionRecord; exposeScores: boolean }> {
    const { sync, hub } = this.deps;
    const actor: Actor = { id: caller.clientId, log: caller.log };
    // Read-only: this path only reads the record, or spreads it into new ones (sync), so the store need not copy it.
    // The store is read here rather than through owned(): one async step fewer on every read.
    let record = this.ownedBy(await this.deps.store.get(id, { readOnly: true }), caller);
    const exposeScores = this.deps.policyOf(record.clientId).decision.exposeScores;
    const patch = options.clientDigest === undefined ? undefined : this.digestPatch(record, options.clientDigest);
    const waitMs = Math.min(options.waitMs ?? 0, this.deps.maxWaitMs);
    // A settled session that a caller has read before has nothing left to write or fetch: skip the sync machinery.
    if (!(record.decision && record.decisionReadAt !== undefined && patch === undefined)) {
      // A long-poll does not read Face itself: the cluster's one poll loop for the session does (session-poll-hub.ts).
      const readFace = waitMs <= 0;
      record = (await sync.refresh(record, actor, { patch, readFace, readByCaller: true })) ?? this.notFound();
      // A digest changes the pending decision: waiters on this session, here and on other replicas, look again.
      if (patch && !record.decision) await hub.changed(id);
      if (!record.decision && waitMs > 0) {
        const tagOf = (r: SessionRecord) => this.contentTagOf(r, exposeScores);
        // What the caller holds: the views its ETags name, or else the view as the wait begins.
        const held = new Set(contentTagsOf(options.ifNoneMatch));
        if (!held.size) held.add(tagOf(record));
        // A caller whose view is already out of date is answered at once.
        if (held.has(tagOf(record))) await hub.wait(id, actor, waitMs, (r) => !held.has(tagOf(r)));
        record = (await sync.refreshById(id, actor, { readFace: false, readByCaller: true })) ?? this.notFound();
      }
    }
    // The caller now holds the settled decision: Face's copy is no longer needed (DELETE_AFTER_DECISION).
    if (record.decision) this.deps.cleanup.decisionRead(record, actor);
    return { record, exposeScores };
  }

  private contentTagOf(record: SessionRecord, exposeScores: boolean): string {
    const known = this.contentTags.get(record);
    if (known?.exposeScores === exposeScores) return known.tag;
    const tag = contentTagOf(this.viewOf(record, exposeScores));
    this.contentTags.set(record, { exposeScores, tag });
    return tag;
  }

  /** The caller's own sessions, newest first, from the store's per-client index; never calls Face. */
  async list(caller: CallerContext, query: SessionListQueryInput): Promise<SessionList> {
    const decisionOf = (record: SessionRecord) => this.deps.sync.decisionOf(record).decision;
    return listSessions({ store: this.deps.store, decisionOf }, caller.clientId, query);
  }

  async delete(id: string, caller: CallerContext): Promise<void> {
    const record = await this.owned(id, caller);
    this.settledViews.delete(id);
    // First, so that even if the cleanup fails, an idempotent retry can no longer replay the session's auth token.
    await this.deps.idempotency?.forgetSession(record);
    await this.deps.cleanup.forget(record, { id: caller.clientId, log: caller.log });
    caller.log.info({ sessionId: id }, "session deleted");
  }

  /** From the ImageStore once the session is deleted at Face; from Face before that. */
  async image(id: string, caller: CallerContext): Promise<Uint8Array> {
    const record = await this.owned(id, caller);
    if (!record.enableSessionImage) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
    const retained = await this.deps.images.get(id);
    if (retained) return retained.bytes;
    if (record.imageNotRetainedAt !== undefined) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_RETAINED");
    if (record.deletedAtFaceAt !== undefined) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
    try {
      const current = (await this.deps.sync.refresh(record, { id: caller.clientId, log: caller.log })) ?? this.notFound();
      const imageId = latestImageId(snapshotOfRecord(current));
      if (!imageId) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
      return (await this.deps.face.getSessionImage(imageId, { log: caller.log, clientId: caller.clientId, priority: "read" })).value;
    } catch (error) {
      // A cleanup (in this process or another replica) writes the copy before it deletes the session at Face: a
      // 404 from Face after our first look may only mean the copy has landed since. Look once more.
      const isGone = error instanceof AppError && (error.code === "LSO_ERR_SESSION_NOT_FOUND" || error.code === "LSO_ERR_SESSION_IMAGE_NOT_FOUND");
      const copied = isGone ? await this.deps.images.get(id) : undefined;
      if (copied) return copied.bytes;
      // Or that the cleanup found the image store full and kept none.
      if (isGone && (await this.deps.store.get(id))?.imageNotRetainedAt !== undefined) throw new AppError("LSO_ERR_SESSION_IMAGE_NOT_RETAINED");
      throw error;
    }
  }

  /** The change a client digest makes: none when settled with the same digest; 409 when settled with another. */
  private digestPatch(record: SessionRecord, clientDigest: string): SessionRecordPatch | undefined {
    if (record.decision) {
      if (sameHex(record.clientDigest, clientDigest)) return undefined;
      throw new AppError("LSO_ERR_SESSION_SETTLED");
    }
    return record.clientDigest === clientDigest ? undefined : { clientDigest };
  }

  /** A session that does not exist and one that belongs to another caller look the same: 404. */
  private async owned(id: string, caller: CallerContext): Promise<SessionRecord> {
    return this.ownedBy(await this.deps.store.get(id), caller);
  }

  private ownedBy(record: SessionRecord | undefined, caller: CallerContext): SessionRecord {
    if (!record || record.clientId !== caller.clientId || record.erased) this.notFound();
    return record;
  }

  private notFound(): never {
    throw new AppError("LSO_ERR_SESSION_NOT_FOUND");
  }
}
