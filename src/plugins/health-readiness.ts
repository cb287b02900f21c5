/**
 * What /readyz and /startupz report: whether this replica can do useful work now.
 *
 * - shutdown: a draining replica is not ready (the balancer must stop sending before the server stops accepting).
 * - state: the state backend answers (state.ping(), bounded); without it no request can be served.
 * - face: Face answers with our credentials. Only a credential or endpoint failure (401/403, no such route) makes the
 *   replica not ready: another replica would get the same answer, and a rollout with a bad key should stall rather
 *   than replace working replicas. A Face outage (5xx, 429, timeouts, an open breaker) is shared by every replica;
 *   taking them all out of the balancer would only trade our 503 envelope for the balancer's own error page. It shows
 *   as `degraded`, to operators and in metrics.
 * - credentials: where they come from and how old Key Vault's are; stale values still work, so never a reason to
 *   refuse.
 *
 * The Face probe is cached briefly and shared by concurrent callers, so probes from many balancers cost Face one call
 * per interval, and a probe is never waited on for longer than a balancer's probe timeout allows.
 */
import type { FastifyBaseLogger } from "fastify";
import type { CredentialsStatus } from "../credentials/credentials.js";
import { isAppError, type ErrorCode } from "../errors.js";
import type { FaceGateway } from "../face/face-gateway.js";
import type { Clock } from "../lib/clock.js";
import type { Lifecycle } from "../lib/lifecycle.js";
import type { StateBackend } from "../state/state.js";

const FACE_PROBE_CACHE_MS = 5_000;
/**
 * Longest /readyz waits for a Face probe or the state's ping, so it answers within a probe timeout of 3 s or more
 * (docs/operations.md): a slower Face is reported degraded meanwhile, a slower state backend down.
 */
const FACE_PROBE_WAIT_MS = 2_000;
const STATE_PING_WAIT_MS = 2_000;
/** Face answers that say this replica's configuration is wrong, not that Face is having a bad day. */
const FACE_DOWN_CODES: ReadonlySet<ErrorCode> = new Set(["LSO_ERR_UPSTREAM_AUTH", "LSO_ERR_UPSTREAM_MISCONFIGURED"]);

export interface FaceCheck {
  status: "up" | "degraded" | "down";
  code?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: {
    shutdown: { status: "running" | "draining" };
    state: { status: "up" | "down"; backend: StateBackend };
    face: FaceCheck;
    credentials: { status: "up" | "stale"; source: CredentialsStatus["source"]; faceAuth: CredentialsStatus["faceAuth"]; ageSeconds?: number };
  };
}

export interface ReadinessDeps {
  face: FaceGateway;
  state: { backend: StateBackend; ping(): Promise<void> };
  credentials: () => CredentialsStatus;
  lifecycle: Lifecycle;
  clock: Clock;
  log: FastifyBaseLogger;
}

/** Resolves with `promise`'s value, or with `fallback` once `ms` have passed (the promise carries on regardless). */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class Readiness {
  private cachedFace: { at: number; check: FaceCheck } | undefined;
  private faceInFlight: Promise<FaceCheck> | undefined;
  private pingInFlight: Promise<boolean> | undefined;
  private lastReport: ReadinessReport | undefined;
  private wasReady = false;

  constructor(private readonly deps: ReadinessDeps) {}

  /** The last report /readyz or /startupz made, for metrics (never a Face call of its own). */
  last(): ReadinessReport | undefined {
    return this.lastReport;
  }

  /** True once the replica has been ready: /startupz's answer, which never goes back. */
  get started(): boolean {
    return this.wasReady;
  }

  async evaluate(): Promise<ReadinessReport> {
    const [face, stateUp] = await Promise.all([this.faceCheck(), this.pingState()]);
    const { source, faceAuth, keyVault } = this.deps.credentials();
    const draining = this.deps.lifecycle.draining;
    const report: ReadinessReport = {
      ready: !draining && stateUp && face.status !== "down",
      checks: {
        shutdown: { status: draining ? "draining" : "running" },
        state: { status: stateUp ? "up" : "down", backend: this.deps.state.backend },
        face,
        credentials: { status: keyVault?.stale ? "stale" : "up", source, faceAuth, ...(keyVault && { ageSeconds: keyVault.ageSeconds }) },
      },
    };
    this.lastReport = report;
    if (report.ready) this.wasReady = true;
    return report;
  }

  private faceCheck(): Promise<FaceCheck> {
    const { clock } = this.deps;
    const cached = this.cachedFace;
    if (cached && clock.now() - cached.at < FACE_PROBE_CACHE_MS) return Promise.resolve(cached.check);
    this.faceInFlight ??= this.deps.face
      .probe()
      .then((): FaceCheck => ({ status: "up" }))
      .catch((error: unknown): FaceCheck => {
        const code = isAppError(error) ? error.code : "LSO_ERR_INTERNAL";
        const down = isAppError(error) && FACE_DOWN_CODES.has(error.code);
        this.deps.log.warn({ code, faceStatus: down ? "down" : "degraded" }, "readiness: Face probe failed");
        return { status: down ? "down" : "degraded", code };
      })
      .then((check) => {
        this.cachedFace = { at: clock.now(), check };
        this.faceInFlight = undefined;
        return check;
      });
    // A Face too slow to answer in time is a Face outage, not a configuration fault: degraded, never down.
    return within(this.faceInFlight, FACE_PROBE_WAIT_MS, { status: "degraded", code: "LSO_ERR_UPSTREAM_TIMEOUT" });
  }

  private pingState(): Promise<boolean> {
    this.pingInFlight ??= this.deps.state
      .ping()
      .then(() => true)
      .catch((error: unknown) => {
        // The message only: a client error object may carry the command's arguments (AUTH: the password).
        this.deps.log.warn({ backend: this.deps.state.backend, reason: error instanceof Error ? error.message : String(error) }, "readiness: the state backend did not answer");
        return false;
      })
      .finally(() => (this.pingInFlight = undefined));
    return within(this.pingInFlight, STATE_PING_WAIT_MS, false);
  }
}
