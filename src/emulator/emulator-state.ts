import { randomBytes } from "node:crypto";

import { ExpiryHeap } from "./emulator-expiry-heap.js";
import { EmulatorFaults, type FaultDecision } from "./emulator-faults.js";
import { emulatorOperations, type EmulatorOperation } from "./emulator-operations.js";

/**
 * The emulator's whole memory: sessions, their tokens, their images, and how often each operation was called.
 * One instance per emulator (never module-level), so parallel tests never see each other's sessions.
 */
export type EmulatorSessionKind = "liveness" | "livenessWithVerify";
export type EmulatorOperationState = "NotStarted" | "Running" | "Succeeded" | "Failed" | "Canceled";
export type EmulatorLivenessDecision = "uncertain" | "realface" | "spoofface";

export { emulatorOperations, type EmulatorOperation } from "./emulator-operations.js";

export interface FaceRectangle {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface EmulatorAttemptResult {
  livenessDecision: EmulatorLivenessDecision;
  faceRectangle: FaceRectangle;
  digest: string;
  sessionImageId?: string;
  verifyResult?: { matchConfidence: number; isIdentical: boolean };
  verifyImageHash?: string;
}

export interface EmulatorAttempt {
  attemptId: number;
  attemptStatus: "Succeeded" | "Failed";
  result?: EmulatorAttemptResult;
  error?: { code: string; message: string; faceRectangle: FaceRectangle };
}

export interface EmulatorVerifyReference {
  /** Uppercase hex sha256 of the verify image, as Face reports it in `verifyImageHash`. */
  imageHash: string;
  faceRectangle: FaceRectangle;
  confidenceThreshold?: number;
  returnVerifyImageHash: boolean;
}

export interface EmulatorSession {
  sessionId: string;
  kind: EmulatorSessionKind;
  authToken: string;
  status: EmulatorOperationState;
  modelVersion: string;
  livenessOperationMode: "Passive" | "PassiveActive";
  deviceCorrelationId?: string;
  enableSessionImage: boolean;
  createdAt: number;
  /** Face expires the session together with its token; after this instant the id answers 404. */
  expiresAt: number;
  verify?: EmulatorVerifyReference;
  /** Oldest first, as appended; responses reverse them. */
  attempts: EmulatorAttempt[];
}

/** One request as the emulator received it: what a test counts when it counts Face's calls, in order. */
export interface EmulatorRequest {
  /** Arrival order, from 1. */
  seq: number;
  /** Arrival time on the emulator's clock (epoch ms). */
  at: number;
  operation: EmulatorOperation;
  /** The gateway request id the answer carries (apim-request-id), as the caller's logs and events record it. */
  requestId: string;
  /** The session the path names (reads, deletes); absent for creates, images and device calls. */
  sessionId?: string;
}

/** The newest requests the log keeps; a long-running emulator must not grow without bound. */
const REQUEST_LOG_LIMIT = 10_000;

export interface EmulatorSessionImage {
  sessionId: string;
  bytes: Buffer;
}

export class EmulatorState {
  private readonly sessions = new Map<string, EmulatorSession>();
  private readonly tokens = new Map<string, string>();
  private readonly images = new Map<string, EmulatorSessionImage>();
  /** Image ids per session, so deleting a session does not walk every image. */
  private readonly imagesBySession = new Map<string, Set<string>>();
  private readonly expiry = new ExpiryHeap();
  private readonly counts = new Map<EmulatorOperation, number>();
  private readonly log: EmulatorRequest[] = [];
  private seq = 0;
  /** Keys the attempt digests; random per emulator so a digest can't be forged from outside. */
  readonly digestSecret: Buffer = randomBytes(32);
  /** Injected failures (latency, 429/500/503, resets); empty until a plan is set. */
  readonly faults = new EmulatorFaults();

  /**
   * Called once per routed request, before auth and validation, so rejected calls count too.
   * This is the single choke point per operation: it counts and logs the request, then decides which faults it
   * gets (so counts include faulted attempts); the caller (countOperation) applies them.
   */
  recordRequest(operation: EmulatorOperation, detail?: Omit<EmulatorRequest, "seq" | "operation">): FaultDecision | undefined {
    this.counts.set(operation, this.requestCount(operation) + 1);
    if (detail) {
      this.log.push({ seq: (this.seq += 1), operation, ...detail });
      // Trimmed in batches: dropping one entry from the front of a full log moved all 10 000 on every request.
      if (this.log.length >= 2 * REQUEST_LOG_LIMIT) this.log.splice(0, this.log.length - REQUEST_LOG_LIMIT);
    }
    return this.faults.decide(operation);
  }

  /** The requests received, oldest first (the newest 10 000). */
  requestLog(): readonly EmulatorRequest[] {
    return this.log.slice(-REQUEST_LOG_LIMIT);
  }

  requestCount(operation: EmulatorOperation): number {
    return this.counts.get(operation) ?? 0;
  }

  requestCounts(): Record<EmulatorOperation, number> {
    return Object.fromEntries(emulatorOperations.map((op) => [op, this.requestCount(op)])) as Record<EmulatorOperation, number>;
  }

  /** Forgets the counts and the request log. */
  resetRequestCounts(): void {
    this.counts.clear();
    this.log.length = 0;
  }

  /** Every session Face still holds (expired ones are purged on the way). */
  liveSessions(now: number): EmulatorSession[] {
    this.purgeExpired(now);
    return [...this.sessions.values()];
  }

  addSession(session: EmulatorSession): void {
    this.sessions.set(session.sessionId, session);
    this.tokens.set(session.authToken, session.sessionId);
    this.expiry.push({ expiresAt: session.expiresAt, sessionId: session.sessionId });
  }

  /** A live session of that kind; an expired one is purged on sight and reads as missing, as in Face. */
  findSession(sessionId: string, kind: EmulatorSessionKind, now: number): EmulatorSession | undefined {
    const session = this.liveSession(this.sessions.get(sessionId), now);
    return session?.kind === kind ? session : undefined;
  }

  findSessionByToken(authToken: string, now: number): EmulatorSession | undefined {
    const sessionId = this.tokens.get(authToken);
    return sessionId === undefined ? undefined : this.liveSession(this.sessions.get(sessionId), now);
  }

  /** Deletes the session, revokes its token and drops its images: Face's "all correlated data". */
  deleteSession(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    this.tokens.delete(session.authToken);
    for (const imageId of this.imagesBySession.get(sessionId) ?? []) this.images.delete(imageId);
    this.imagesBySession.delete(sessionId);
  }

  /** Bounds memory in long-running emulators; called on every create, so it pops only what has expired. */
  purgeExpired(now: number): void {
    for (let entry = this.expiry.popExpired(now); entry; entry = this.expiry.popExpired(now)) {
      // The entry may be stale: the session was deleted already, or an id was reused by a later session.
      const session = this.sessions.get(entry.sessionId);
      if (session && session.expiresAt === entry.expiresAt) this.liveSession(session, now);
    }
  }

  addSessionImage(imageId: string, image: EmulatorSessionImage): void {
    this.images.set(imageId, image);
    let ids = this.imagesBySession.get(image.sessionId);
    if (!ids) this.imagesBySession.set(image.sessionId, (ids = new Set()));
    ids.add(imageId);
  }

  findSessionImage(imageId: string, now: number): EmulatorSessionImage | undefined {
    const image = this.images.get(imageId);
    if (!image) return undefined;
    return this.liveSession(this.sessions.get(image.sessionId), now) ? image : undefined;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get sessionImageCount(): number {
    return this.images.size;
  }

  private liveSession(session: EmulatorSession | undefined, now: number): EmulatorSession | undefined {
    if (!session) return undefined;
    if (now < session.expiresAt) return session;
    this.deleteSession(session.sessionId);
    return undefined;
  }
}
