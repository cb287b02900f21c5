/**
 * Brings a session record up to date with Face and settles its decision. Every reader goes through here (a caller's
 * GET, long-poll loops, the background loop), so Face sees one GET per session at a time however many readers there
 * are, each attempt is announced once, and a decision is settled (and announced) exactly once.
 *
 * Readers pass the record they hold rather than have it read again, and everything one read changes (Face's new
 * view, the caller's digest, the settled decision, "the caller has it", the next due time) goes out in one write;
 * a read that changed nothing writes nothing.
 */
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import type { FaceCallContext, FaceCallPriority, FaceGateway } from "../face/face-gateway.js";
import type { CallerPolicy } from "../lib/caller-policy.js";
import type { Clock } from "../lib/clock.js";
import type { LockoutGuard } from "../lockout/lockout-guard.js";
import type { SessionEvents } from "../state/session-events.js";
import type { Decision, DigestCheck, SessionSnapshot } from "../state/session-record.js";
import type { ClaimFence, SessionRecord, SessionRecordPatch, SessionStore } from "../state/session-store.js";
import type { FailedOutcomeRule } from "./decision/decision-outcome-rule.js";
import { decide, isFinalAtFace, type Verdict } from "./decision/decision-policy.js";
import { settledOutcomes } from "./decision/decision-schemas.js";
import type { SessionSchedule } from "./session-schedule.js";
import { snapshotFingerprint, snapshotOf, snapshotOfRecord } from "./session-snapshot.js";

/** Who is acting: a caller's client id, or "system" for the background loop and webhook-driven cleanup. */
export interface Actor {
  id: string;
  log: FastifyBaseLogger;
}

export const SYSTEM_ACTOR_ID = "system";

/**
 * How a call to Face is queued while the quota is short: for the tenant who owns the session (so tenants take
 * turns), and as a background read when nobody waits for it (the background loop, webhook-driven cleanup).
 */
export function faceContext(actor: Actor, clientId: string, priority?: FaceCallPriority): FaceCallContext {
  return { log: actor.log, clientId, priority: priority ?? (actor.id === SYSTEM_ACTOR_ID ? "background" : "read") };
}

/**
 * How long after the token lapsed a real face may still wait for the caller's digest. The app gets the digest when
 * the device finishes, so it may arrive a little after the token's end; beyond this the check counts as abandoned.
 */
export const CLIENT_DIGEST_GRACE_MS = 15 * 60 * 1000;

export interface SessionSyncDeps {
  face: FaceGateway;
  store: SessionStore;
  clock: Clock;
  events: SessionEvents;
  schedule: SessionSchedule;
  policyOf: (clientId: string) => CallerPolicy;
  lockout?: LockoutGuard | undefined;
  isFailedOutcome: FailedOutcomeRule;
}

export interface RefreshOptions {
  /** The reader's own change, written with the rest (a client digest). */
  patch?: SessionRecordPatch | undefined;
  /** False: settle from what we hold, without asking Face (a long-poll loop is asking already). */
  readFace?: boolean;
  /** A caller receives the result: a settled decision counts as read (decisionReadAt). */
  readByCaller?: boolean;
  /** The background loop's scheduled poll: the watcher's backoff moves on, and the next due time is written. */
  poll?: boolean;
  /** The background loop's claim on the record: its writes are dropped once another replica took the record over. */
  fence?: ClaimFence | undefined;
  /**
   * A long-poll loop's read under the session's poll lease: it does not move the watcher's schedule on. The watcher
   * defers to the lease instead and looks again soon, so a poller that dies hands the session back to it within a
   * bounded time, however far the watcher's backoff has grown.
   */
  pollLease?: boolean;
}

/** What one Face read brought. */
interface Fetched {
  snapshot: SessionSnapshot;
  faceRequestId: string | undefined;
}

export const isNotFound = (error: unknown) => error instanceof AppError && error.code === "LSO_ERR_SESSION_NOT_FOUND";

/** Snapshots are built field by field in one order (snapshotOf), so equal JSON means equal content. */
const sameSnapshot = (a: SessionSnapshot | undefined, b: SessionSnapshot) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

export class SessionSync {
  /** In-flight refreshes by session id: the first reader's Face read and write, which later readers share. */
  private readonly flights = new Map<string, Promise<SessionRecord | undefined>>();
  private readonly readListeners: Array<(id: string) => void> = [];

  constructor(private readonly deps: SessionSyncDeps) {}

  /** Told the session id after every Face read that answered (the long-poll hub paces its reads by them). */
  onFaceRead(listener: (id: string) => void): void {
    this.readListeners.push(listener);
  }

  verdictOf(record: SessionRecord): Verdict {
    const now = this.deps.clock.now();
    return decide({
      kind: record.kind,
      snapshot: snapshotOfRecord(record),
      clientDigest: record.clientDigest,
      verifyImageSha256: record.verifyImageSha256,
      policy: this.deps.policyOf(record.clientId).decision,
      tokenLapsed: now >= record.authTokenExpiresAt,
      digestGraceOver: now >= record.authTokenExpiresAt + CLIENT_DIGEST_GRACE_MS,
    });
  }

  /** The settled decision, or what the session looks like now (decidedAt null). */
  decisionOf(record: SessionRecord): { decision: Decision; digestCheck: DigestCheck } {
    if (record.decision) return { decision: record.decision, digestCheck: record.digestCheck ?? "notChecked" };
    const { outcome, reasons, digestCheck } = this.verdictOf(record);
    return { decision: { outcome, reasons, decidedAt: null }, digestCheck };
  }

  /**
   * `record` brought up to date: Face is read unless nothing there can change any more, the decision settled when
   * final, and whatever changed written once. Undefined when the record is gone.
   */
  async refresh(record: SessionRecord, actor: Actor, options: RefreshOptions = {}): Promise<SessionRecord | undefined> {
    const running = this.flights.get(record.id);
    if (running) {
      // Someone is reading Face for this session: take their result, then add only what is ours.
      const shared = await running;
      return shared && this.commit(shared, undefined, actor, options);
    }
    if (options.readFace === false || !this.faceMayChange(record)) return this.commit(record, undefined, actor, options);
    const flight = this.fetch(record, actor)
      .then(async ({ current, fetched }) => {
        const committed = await this.commit(current, fetched, actor, options);
        // After the write, so a listener that re-reads the record finds what this read brought.
        for (const listener of this.readListeners) listener(record.id);
        return committed;
      })
      .finally(() => this.flights.delete(record.id));
    this.flights.set(record.id, flight);
    return flight;
  }

  /** refresh() for a reader that holds only the id. */
  async refreshById(id: string, actor: Actor, options: RefreshOptions = {}): Promise<SessionRecord | undefined> {
    const record = await this.deps.store.get(id);
    return record && this.refresh(record, actor, options);
  }

  private faceMayChange(record: SessionRecord): boolean {
    return !record.decision && record.deletedAtFaceAt === undefined && !isFinalAtFace(snapshotOfRecord(record));
  }

  /**
   * Face's current view, beside the record to commit it to. Nothing fetched when Face no longer has the session for a
   * reason we know of: its token lapsed, or another reader (a replica, or this one's background loop) settled the
   * decision and deleted the session at Face while this read was on its way. The stored record is then all there is,
   * and it is the one committed: the reader started from a copy that predates the settle.
   */
  private async fetch(record: SessionRecord, actor: Actor): Promise<{ current: SessionRecord; fetched: Fetched | undefined }> {
    try {
      const reply = await this.deps.face.getSession(record.kind, record.id, faceContext(actor, record.clientId));
      return { current: record, fetched: { snapshot: snapshotOf(reply.value), faceRequestId: reply.requestId } };
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (this.deps.clock.now() >= record.authTokenExpiresAt) return { current: record, fetched: undefined };
      const current = await this.deps.store.get(record.id);
      if (current && (current.decision !== undefined || current.deletedAtFaceAt !== undefined)) return { current, fetched: undefined };
      throw error;
    }
  }

  private async commit(record: SessionRecord, fetched: Fetched | undefined, actor: Actor, options: RefreshOptions): Promise<SessionRecord | undefined> {
    const { store, clock, schedule } = this.deps;
    const now = clock.now();
    const patch: SessionRecordPatch = { ...options.patch };
    const before = snapshotOfRecord(record);
    const fresh = fetched ? fetched.snapshot.attempts.filter((a) => a.attemptId > (record.lastAttemptSeen ?? 0)).reverse() : [];
    if (fetched && !sameSnapshot(record.snapshot, fetched.snapshot)) Object.assign(patch, { snapshot: fetched.snapshot, lastKnownStatus: fetched.snapshot.status });
    if (fresh.length) patch.lastAttemptSeen = fresh.at(-1)!.attemptId;
    const changed = fetched !== undefined && snapshotFingerprint(fetched.snapshot) !== snapshotFingerprint(before);
    // A caller's Face read stands in for the watcher's next one: the watcher's schedule moves on as if it had read.
    const watchMoves =
      options.poll || (fetched !== undefined && actor.id !== SYSTEM_ACTOR_ID && !options.pollLease && schedule.callerReadMovesWatch(record, now));
    if (watchMoves) patch.watchIntervalMs = schedule.nextInterval(record, changed);
    else if (changed && record.watchIntervalMs !== undefined) patch.watchIntervalMs = schedule.options.watchIntervalMs;
    // lastCheckedAt goes out with any write; a read that found nothing new costs no write for it alone.
    if (fetched) patch.lastCheckedAt = now;
    const next: SessionRecord = { ...record, ...withoutDue(patch) };

    const settled = next.decision ? undefined : await this.trySettle(next, patch, fresh, actor, fetched, options);
    if (settled) return settled;
    if (next.decision && options.readByCaller && next.decisionReadAt === undefined) patch.decisionReadAt = now;
    const writes = Object.keys(patch).filter((key) => key !== "lastCheckedAt");
    if (!writes.length) return next;
    // A first read of the decision makes its deletion at Face due (DELETE_AFTER_DECISION): the background loop takes it
    // over if the replica deleting it dies.
    if (changed || watchMoves || options.patch || patch.decisionReadAt !== undefined) patch.dueAt = schedule.dueAt({ ...record, ...withoutDue(patch) }, now);
    const updated = await store.update(record.id, patch, options.fence);
    if (updated) this.announceAttempts(updated, fresh, actor, fetched);
    return updated;
  }

  /** Settles `next` when its verdict is final, in the one write; undefined when it is not final. */
  private async trySettle(
    next: SessionRecord,
    patch: SessionRecordPatch,
    fresh: SessionSnapshot["attempts"],
    actor: Actor,
    fetched: Fetched | undefined,
    options: RefreshOptions,
  ): Promise<SessionRecord | undefined> {
    const { store, clock, schedule } = this.deps;
    const verdict = this.verdictOf(next);
    if (!settledOutcomes.has(verdict.outcome)) return undefined;
    const now = clock.now();
    const decision: Decision = { outcome: verdict.outcome, reasons: verdict.reasons, decidedAt: new Date(now).toISOString() };
    const outcomeCountedAt = this.countsTowardsLockout(next, decision) ? now : undefined;
    const settledPatch: SessionRecordPatch = { ...patch, ...(options.readByCaller && { decisionReadAt: now }) };
    settledPatch.dueAt = schedule.dueAt({ ...next, ...withoutDue(settledPatch), decision }, now);
    const settled = await store.settle(next.id, { decision, digestCheck: verdict.digestCheck, ...(outcomeCountedAt !== undefined && { outcomeCountedAt }) }, settledPatch);
    if (!settled) {
      // Someone else settled it first; theirs stands, and what we learnt from Face is kept beside it.
      const current = await store.get(next.id);
      if (!current) return undefined;
      return this.commit(current, fetched, actor, { readByCaller: options.readByCaller ?? false, fence: options.fence });
    }
    this.announceAttempts(settled, fresh, actor, fetched);
    await this.announceDecision(settled, verdict, actor, fetched?.faceRequestId, outcomeCountedAt);
    return settled;
  }

  private countsTowardsLockout(record: SessionRecord, decision: Decision): boolean {
    const { lockout, isFailedOutcome } = this.deps;
    return lockout !== undefined && (record.subject !== undefined || record.deviceCorrelationId !== undefined) && isFailedOutcome(decision);
  }

  private announceAttempts(record: SessionRecord, fresh: SessionSnapshot["attempts"], actor: Actor, fetched: Fetched | undefined): void {
    const { modelVersion } = snapshotOfRecord(record);
    for (const attempt of fresh) {
      this.deps.events.emit({
        type: "attemptSeen",
        ...this.base(record, actor, fetched?.faceRequestId),
        attemptId: attempt.attemptId,
        attemptStatus: attempt.attemptStatus,
        ...(modelVersion !== undefined && { modelVersion }),
      });
    }
  }

  /** Runs once per session, right after the decision was settled. */
  private async announceDecision(record: SessionRecord, verdict: Verdict, actor: Actor, faceRequestId: string | undefined, countedAt: number | undefined): Promise<void> {
    const { events, lockout } = this.deps;
    const codes = new Set(verdict.reasons.map((r) => r.code));
    const snapshot = snapshotOfRecord(record);
    const attempt = snapshot.attempts.find((a) => a.attemptId === verdict.attemptId);
    // Security events: warn level, ids only; digests as short prefixes so they can be matched, never reused.
    const security = { sessionId: record.id, clientId: record.clientId, attemptId: verdict.attemptId };
    if (codes.has("DIGEST_MISMATCH")) {
      const prefixes = { clientDigestPrefix: record.clientDigest?.slice(0, 8), faceDigestPrefix: attempt?.digest?.slice(0, 8) };
      actor.log.warn({ securityEvent: "digest_mismatch", ...security, ...prefixes }, "the client digest does not match Face's digest of this attempt");
    }
    if (codes.has("VERIFY_IMAGE_HASH_MISMATCH")) {
      actor.log.warn({ securityEvent: "verify_image_hash_mismatch", ...security }, "Face verified against an image other than the one we sent");
    }
    events.emit({
      type: "decided",
      ...this.base(record, actor, faceRequestId),
      decision: record.decision!,
      digestCheck: verdict.digestCheck,
      ...(snapshot.modelVersion !== undefined && { modelVersion: snapshot.modelVersion }),
    });
    // Counted by this settle (not by an earlier markOutcomeCounted): the lockout hears of it exactly once.
    if (!lockout || countedAt === undefined || record.outcomeCountedAt !== countedAt) return;
    // A lockout-store failure must not fail the read: the failure is logged and the outcome stays counted once.
    try {
      await lockout.recordFailure(record.clientId, record, actor.log);
    } catch (error) {
      actor.log.error({ err: error, sessionId: record.id }, "could not count a failed outcome towards the lockout");
    }
  }

  private base(record: SessionRecord, actor: Actor, faceRequestId: string | undefined) {
    return {
      sessionId: record.id,
      clientId: record.clientId,
      at: this.deps.clock.now(),
      actor: actor.id,
      ...(faceRequestId !== undefined && { faceRequestId }),
    };
  }
}

/** The patch's fields as a record holds them (dueAt: null means "absent"). */
function withoutDue(patch: SessionRecordPatch): Omit<SessionRecordPatch, "dueAt"> {
  const { dueAt: _dueAt, ...fields } = patch;
  return fields;
}
