/**
 * Deleting sessions at Face once nobody needs them there: after the settled decision reached the caller (a read, or
 * a delivered webhook), and for the background loop once the token lapsed. The session image, for clients that
 * opted in, is copied to the ImageStore first, since Face deletes it with the session. The record and its snapshot
 * stay until expiresAt.
 */
import { AppError } from "../errors.js";
import type { FaceGateway } from "../face/face-gateway.js";
import type { Clock } from "../lib/clock.js";
import type { ImageStore } from "../state/image-store.js";
import type { SessionEvents } from "../state/session-events.js";
import type { SessionRecord, SessionStore } from "../state/session-store.js";
import { DELETION_PICKUP_MS } from "./session-schedule.js";
import { latestImageId, snapshotOfRecord } from "./session-snapshot.js";
import { faceContext, isNotFound, type Actor } from "./session-sync.js";

export interface CleanupOptions {
  /** DELETE_AFTER_DECISION */
  deleteAfterDecision: boolean;
  /** SESSION_IMAGE_RETENTION_SECONDS in ms; 0 keeps no image. */
  imageRetentionMs: number;
  /** SESSION_IMAGE_MAX_BYTES: the most bytes of images the ImageStore holds at once. */
  imageMaxBytes: number;
  /** SESSION_SWEEP_INTERVAL_MS: how long a failed deletion waits before the background loop retries it. */
  retryMs: number;
}

export interface CleanupDeps {
  face: FaceGateway;
  store: SessionStore;
  images: ImageStore;
  events: SessionEvents;
  clock: Clock;
}

const isImageGone = (error: unknown) => error instanceof AppError && (error.code === "LSO_ERR_SESSION_IMAGE_NOT_FOUND" || error.code === "LSO_ERR_SESSION_NOT_FOUND");

export class SessionCleanup {
  /** Deletions under way, by session id: one at a time per session, and awaited on close. */
  private readonly running = new Map<string, Promise<SessionRecord | undefined>>();

  constructor(
    private readonly deps: CleanupDeps,
    readonly options: CleanupOptions,
  ) {}

  /** A caller received the settled decision (recorded as decisionReadAt by the read): delete at Face in the background. */
  decisionRead(record: SessionRecord, actor: Actor): void {
    if (record.decision && this.options.deleteAfterDecision && record.deletedAtFaceAt === undefined) void this.deleteAtFace(record.id, actor);
  }

  /** A webhook about the session was delivered: with a settled decision, that counts as the caller having it. */
  async webhookDelivered(sessionId: string, actor: Actor): Promise<void> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const current = await store.get(sessionId);
    if (!current) return;
    const owed = this.owesDeletion(current);
    // The same write makes the deletion due, so the background loop takes it over if this replica dies before it.
    const record = await store.update(sessionId, { webhookDeliveredAt: now, ...(owed && { dueAt: now + DELETION_PICKUP_MS }) });
    if (record && this.owesDeletion(record)) void this.deleteAtFace(sessionId, actor);
  }

  /**
   * Keeps the image if the client opted in, then deletes at Face. Never throws: a failure is retried by the
   * background loop. Resolves to the record as this left it (undefined when it is gone).
   */
  deleteAtFace(id: string, actor: Actor): Promise<SessionRecord | undefined> {
    const current = this.running.get(id);
    if (current) return current;
    const run = this.deleteOnce(id, actor)
      // Started without anyone awaiting it: a state that fails even the first read must not reject (an unhandled
      // rejection ends the process). A settled record stays due at its lapse, when the background loop deletes it.
      .catch((error: unknown) => {
        actor.log.warn({ err: error, sessionId: id }, "could not delete the session at Face; it will be retried");
        return undefined;
      })
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
    return run;
  }

  /** The caller's DELETE: gone at Face (when it is still there), here, and the retained image too. Throws Face's errors. */
  async forget(record: SessionRecord, actor: Actor): Promise<void> {
    // A deletion under way (the decision was read, or its webhook delivered) may do the Face part first: wait for it
    // and go by the record it leaves, so Face is not asked to delete the session twice.
    const running = this.running.get(record.id);
    const current = (running && (await running)) ?? record;
    if (current.deletedAtFaceAt === undefined) {
      const faceRequestId = await this.deleteSessionAtFace(record, actor);
      this.deps.events.emit({ type: "deletedAtFace", ...this.base(record.id, record.clientId, actor, faceRequestId) });
    }
    await this.deps.store.delete(record.id);
    if (await this.deps.images.delete(record.id)) this.deps.events.emit({ type: "imageDeleted", ...this.base(record.id, record.clientId, actor) });
  }

  /**
   * An erasure tombstone (privacy/): deleted at Face, then forgotten here; a failure keeps it for the next retry.
   * No events: the session's audit trail is gone, and nothing of it should come back.
   */
  async finishErasure(record: SessionRecord, actor: Actor): Promise<void> {
    try {
      await this.deleteSessionAtFace(record, actor);
      await this.deps.store.delete(record.id);
      actor.log.info({ sessionId: record.id }, "erased session deleted at Face");
    } catch (error) {
      actor.log.warn({ err: error, sessionId: record.id }, "could not delete an erased session at Face; it will be retried");
      await this.deps.store.update(record.id, { dueAt: this.deps.clock.now() + this.options.retryMs });
    }
  }

  /** Face's request id, or undefined when Face had forgotten the session already (deleting is idempotent). */
  deleteAtFaceOnce(record: SessionRecord, actor: Actor): Promise<string | undefined> {
    return this.deleteSessionAtFace(record, actor);
  }

  private owesDeletion(record: SessionRecord): boolean {
    return record.decision !== undefined && this.options.deleteAfterDecision && record.deletedAtFaceAt === undefined;
  }

  /** Waits for deletions under way (on close, and in tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  // Reads the record afresh: a deletion another reader finished since this one read it must not run twice.
  private async deleteOnce(id: string, actor: Actor): Promise<SessionRecord | undefined> {
    const { store, events, clock } = this.deps;
    const record = await store.get(id);
    if (!record || record.deletedAtFaceAt !== undefined) return record;
    try {
      await this.retainImage(record, actor);
      const faceRequestId = await this.deleteSessionAtFace(record, actor);
      const updated = await store.update(id, { deletedAtFaceAt: clock.now(), faceDeletionDue: false, dueAt: null });
      events.emit({ type: "deletedAtFace", ...this.base(id, record.clientId, actor, faceRequestId) });
      actor.log.info({ sessionId: id, faceRequestId }, "session deleted at Face after its decision");
      return updated;
    } catch (error) {
      actor.log.warn({ err: error, sessionId: id }, "could not delete the session at Face; it will be retried");
      return store.update(id, { faceDeletionDue: true, dueAt: clock.now() + this.options.retryMs }).catch(() => record);
    }
  }

  /** Face's request id, or undefined when Face had forgotten the session already (deleting is idempotent). */
  private async deleteSessionAtFace(record: SessionRecord, actor: Actor): Promise<string | undefined> {
    try {
      return (await this.deps.face.deleteSession(record.kind, record.id, faceContext(actor, record.clientId, "delete"))).requestId;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async retainImage(record: SessionRecord, actor: Actor): Promise<void> {
    const { face, images, events, clock } = this.deps;
    if (!record.enableSessionImage || this.options.imageRetentionMs <= 0 || (await images.get(record.id))) return;
    const imageId = latestImageId(snapshotOfRecord(record));
    if (!imageId) return;
    let reply;
    try {
      // Part of the deletion it comes before: queued with deletions, not with callers' reads.
      reply = await face.getSessionImage(imageId, faceContext(actor, record.clientId, "delete"));
    } catch (error) {
      if (isImageGone(error)) return; // Face forgot it already: nothing to keep, nothing to delete
      throw error; // keep the session at Face, so the image is not lost; the background loop retries
    }
    const retainUntil = clock.now() + this.options.imageRetentionMs;
    if (!(await images.put({ sessionId: record.id, clientId: record.clientId, bytes: reply.value, retainUntil }, this.options.imageMaxBytes))) {
      // The deletion at Face goes ahead: Face's copy must not outlive the decision for want of room here. The
      // record says why the image is missing, so its GET can answer 410 rather than a bare 404.
      actor.log.warn({ sessionId: record.id, imageMaxBytes: this.options.imageMaxBytes }, "the image store is full; the session image is not kept");
      await this.deps.store.update(record.id, { imageNotRetainedAt: clock.now() });
      return;
    }
    events.emit({ type: "imageRetained", ...this.base(record.id, record.clientId, actor, reply.requestId), retainUntil });
  }

  private base(sessionId: string, clientId: string, actor: Actor, faceRequestId?: string) {
    return { sessionId, clientId, at: this.deps.clock.now(), actor: actor.id, ...(faceRequestId !== undefined && { faceRequestId }) };
  }
}
