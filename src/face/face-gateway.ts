import type { FastifyBaseLogger } from "fastify";

/**
 * The interface the rest of the service uses to reach Azure AI Face. Only `src/face/` knows the wire format:
 * callers see these normalised types and `AppError`s from the registry, never SDK responses.
 */
export type SessionKind = "liveness" | "livenessWithVerify";

export type LivenessOperationMode = "Passive" | "PassiveActive";

/** Face's OperationState, used for both session status and attempt status. */
export type FaceOperationState = "NotStarted" | "Running" | "Succeeded" | "Failed" | "Canceled";

export type LivenessDecision = "uncertain" | "realface" | "spoofface";

export interface FaceRectangle {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface CreateSessionParams {
  livenessOperationMode: LivenessOperationMode;
  /** When absent, the device SDK supplies it (`deviceCorrelationIdSetInClient: true`). */
  deviceCorrelationId?: string;
  authTokenTimeToLiveInSeconds: number;
  enableSessionImage: boolean;
}

export interface VerifyImage {
  bytes: Uint8Array;
  /** Face requires the part to carry a filename; the SDK does not add one for `verifyImage`. */
  filename: string;
  contentType: string;
}

export interface CreateVerifySessionParams extends CreateSessionParams {
  verifyImage: VerifyImage;
  verifyConfidenceThreshold?: number;
  returnVerifyImageHash?: boolean;
}

export interface FaceAttemptResult {
  livenessDecision?: LivenessDecision;
  faceRectangle: FaceRectangle;
  digest: string;
  sessionImageId?: string;
  verifyResult?: { matchConfidence: number; isIdentical: boolean };
  verifyImageHash?: string;
}

export interface FaceAttemptError {
  code: string;
  message: string;
}

export interface FaceAttempt {
  attemptId: number;
  attemptStatus: FaceOperationState;
  result?: FaceAttemptResult;
  error?: FaceAttemptError;
}

export interface FaceVerifyReference {
  referenceType: string;
  faceRectangle: FaceRectangle;
  qualityForRecognition: string;
}

export interface FaceSession {
  sessionId: string;
  kind: SessionKind;
  /** Sensitive: hand it to the device once, never log or store it. */
  authToken: string;
  status: FaceOperationState;
  modelVersion?: string;
  /** In the order Face returned them; pick the latest by attemptId, never by position. */
  attempts: FaceAttempt[];
  verifyReferences?: FaceVerifyReference[];
}

/**
 * Which queue a call waits in while Face's quota is short, most urgent first: a caller waiting for a new session,
 * a caller reading one, a deletion (nobody waits for it, but it frees Face), the background loop's own reads.
 */
export const faceCallPriorities = ["create", "read", "delete", "background"] as const;
export type FaceCallPriority = (typeof faceCallPriorities)[number];

/** Per-call context: the request's logger (upstream log lines carry the caller's request id), and whose call it is. */
export interface FaceCallContext {
  log?: FastifyBaseLogger;
  /** The quota guard's queue for the call; by default the operation's own (create, read, delete). */
  priority?: FaceCallPriority;
  /** The tenant the call serves: within a priority, queued calls are served one client at a time, in turn. */
  clientId?: string;
}

/** Every gateway answer carries Face's `apim-request-id`, for correlating our logs with Azure support. */
export interface FaceReply<T> {
  value: T;
  requestId?: string;
}

export interface FaceGateway {
  createLivenessSession(params: CreateSessionParams, ctx?: FaceCallContext): Promise<FaceReply<FaceSession>>;
  createLivenessWithVerifySession(params: CreateVerifySessionParams, ctx?: FaceCallContext): Promise<FaceReply<FaceSession>>;
  getSession(kind: SessionKind, sessionId: string, ctx?: FaceCallContext): Promise<FaceReply<FaceSession>>;
  /** Resolves when Face answered 204. A session Face no longer knows is reported as LSO_ERR_SESSION_NOT_FOUND. */
  deleteSession(kind: SessionKind, sessionId: string, ctx?: FaceCallContext): Promise<FaceReply<void>>;
  getSessionImage(sessionImageId: string, ctx?: FaceCallContext): Promise<FaceReply<Uint8Array>>;
  /**
   * A cheap reachability and credential check for /readyz: resolves when Face answered in a way that proves the
   * endpoint and credentials work, throws the mapped AppError otherwise.
   */
  probe(): Promise<void>;
}
