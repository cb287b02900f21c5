/**
 * Brings a session record up to date with Face and settles its decision. Every reader goes through here (a caller's
 * GET, long-poll waiters, the watcher, the sweeper), so Face sees one GET per session at a time however many readers
 * there are, each attempt is announced once, and a decision is settled (and announced) exactly once.
 */
import type { FastifyBaseLogger } from "fastify";
import type { CallerPolicy } from "../callers/caller-policy.js";
import { AppError } from "../errors.js";
import type { FaceGateway } from "../face/face-gateway.js";
import type { Clock } from "../lib/clock.js";
import { decide, type Verdict } from "./session-decision.js";
import { settledOutcomes, type Decision, type DigestCheck, type SessionEvents } from "./session-events.js";
import type { LockoutGuard } from "./session-lockout.js";
import type { FailedOutcomeRule } from "./session-outcome-rule.js";
import { isFinalAtFace, snapshotOf, snapshotOfRecord } from "./session-snapshot.js";
import type { SessionRecord, SessionStore } from "./session-store.js";
import { toSessionView } from "./session-view.js";

/** Who is acting: a caller's client id, or "system" for the watcher, sweeper and webhook-driven cleanup. */
export interface Actor {
  id: string;
  log: FastifyBaseLogger;
}

export const SYSTEM_ACTOR_ID = "system";

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
  policyOf: (clientId: string) => CallerPolicy;
  lockout?: LockoutGuard | undefined;
  isFailedOutcome: FailedOutcomeRule;
}

export const isNotFound = (error: unknown) => error instanceof AppError && error.code === "LSO_ERR_SESSION_NOT_FOUND";

export class SessionSync {
  /** In-flight Face reads by session id, each resolving to Face's request id. */
  private readonly flights = new Map<string, Promise<string | undefined>>();

  constructor(private readonly deps: SessionSyncDeps) {}

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

  /** Reads Face unless nothing there can change any more, then settles if the outcome is final. */
  async refresh(id: string, actor: Actor): Promise<SessionRecord | undefined> {
    let flight = this.flights.get(id);
    if (!flight) {
      flight = this.fetch(id, actor).finally(() => this.flights.delete(id));
      this.flights.set(id, flight);
    }
    return this.settle(id, actor, await flight);
  }

  /** Settles from what we hold, without Face: after a client digest arrived, or once the token lapsed. */
  async settle(id: string, actor: Actor, faceRequestId?: string): Promise<SessionRecord | undefined> {
    const { store, clock } = this.deps;
    const record = await store.get(id);
    if (!record || record.decision) return record;
    const verdict = this.verdictOf(record);
    if (!settledOutcomes.has(verdict.outcome)) return record;
    const decision: Decision = { outcome: verdict.outcome, reasons: verdict.reasons, decidedAt: new Date(clock.now()).toISOString() };
    const settled = await store.settle(id, { decision, digestCheck: verdict.digestCheck });
    if (!settled) return store.get(id); // someone else settled it first; theirs stands
    await this.announce(settled, verdict, actor, faceRequestId);
    return settled;
  }

  private async fetch(id: string, actor: Actor): Promise<string | undefined> {
    const { face, store, clock, events } = this.deps;
    const record = await store.get(id);
    if (!record || record.decision || record.deletedAtFaceAt !== undefined || isFinalAtFace(snapshotOfRecord(record))) return undefined;
    let reply;
    try {
      reply = await face.getSession(record.kind, record.id, { log: actor.log });
    } catch (error) {
      // Face forgets a session when its token lapses: what we hold is all there is, and settle() decides on it.
      if (isNotFound(error) && clock.now() >= record.authTokenExpiresAt) return undefined;
      throw error;
    }
    const snapshot = snapshotOf(reply.value);
    const seen = record.lastAttemptSeen ?? 0;
    const fresh = snapshot.attempts.filter((a) => a.attemptId > seen).reverse();
    await store.update(id, {
      snapshot,
      lastKnownStatus: snapshot.status,
      lastCheckedAt: clock.now(),
      ...(fresh.length && { lastAttemptSeen: fresh.at(-1)!.attemptId }),
    });
    for (const attempt of fresh) {
      events.emit({
        type: "attemptSeen",
        ...this.base(record, actor, reply.requestId),
        attemptId: attempt.attemptId,
        attemptStatus: attempt.attemptStatus,
        ...(snapshot.modelVersion !== undefined && { modelVersion: snapshot.modelVersion }),
      });
    }
    return reply.requestId;
  }

  /** Runs once per session, right after the decision was settled. */
  private async announce(record: SessionRecord, verdict: Verdict, actor: Actor, faceRequestId?: string): Promise<void> {
    const { events, lockout, isFailedOutcome, store, clock } = this.deps;
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
    const policy = this.deps.policyOf(record.clientId);
    if (!lockout || record.outcomeCountedAt !== undefined || (record.subject === undefined && record.deviceCorrelationId === undefined)) return;
    if (!isFailedOutcome(toSessionView(record, this.decisionOf(record).decision, policy))) return;
    // A lockout-store failure must not fail the read: the outcome stays uncounted and the failure is logged.
    try {
      if (await store.markOutcomeCounted(record.id, clock.now())) await lockout.recordFailure(record.clientId, record, actor.log);
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
