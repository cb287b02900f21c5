/**
 * Wires the session machinery once per app from the state it is given: sync (Face reads and decisions), long-poll
 * hub, cleanup and the background loop around the service, with the create-path safeguards (idempotent creates, the
 * lockout). buildApp starts it when the app is ready and closes it first on close, before the Face client it uses
 * goes away; the stores belong to the state, which closes them.
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { FaceGateway } from "../face/face-gateway.js";
import { IdempotentCreates } from "../idempotency/idempotency-creates.js";
import type { CallerPolicy } from "../lib/caller-policy.js";
import type { Clock } from "../lib/clock.js";
import type { RunObserver } from "../lib/periodic-task.js";
import { LockoutGuard } from "../lockout/lockout-guard.js";
import type { LockoutRule } from "../state/lockout-store.js";
import type { SessionEventBus, SessionEvents } from "../state/session-events.js";
import type { State } from "../state/state.js";
import { isDeclined } from "./decision/decision-outcome-rule.js";
import { SessionBackground } from "./session-background.js";
import { SessionCleanup } from "./session-cleanup.js";
import { CHANGED_CHANNEL, SessionPollHub } from "./session-poll-hub.js";
import { SessionSchedule } from "./session-schedule.js";
import { MAX_WAIT_SECONDS, sessionCreatedSchema } from "./session-schemas.js";
import { SessionService } from "./session-service.js";
import { SessionSync, SYSTEM_ACTOR_ID } from "./session-sync.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The session event bus: subscribe(listener) to hear created, decided, deletedAtFace, ... (session-events.ts). */
    sessionEvents: SessionEventBus;
  }
}

/** DELETE_AFTER_DECISION and SESSION_* (config.ts passes its `sessions` part). */
export interface SessionSettings {
  deleteAfterDecision: boolean;
  imageRetentionMs: number;
  /** SESSION_IMAGE_MAX_BYTES */
  imageMaxBytes: number;
  /** SESSION_MAX_LIVE_PER_CLIENT */
  maxLivePerClient: number;
  watch: { intervalMs: number; firstPollMs: number; concurrency: number };
  /** CONSENT_MAX_AGE_SECONDS in ms. */
  consentMaxAgeMs: number;
  sweepIntervalMs: number;
}

export interface SessionRuntimeDeps {
  settings: SessionSettings;
  face: FaceGateway;
  /** How long a create may hold its idempotency key (createLeaseMs of the Face timings). */
  idempotencyLeaseMs: number;
  /** LOCKOUT_*, in milliseconds. */
  lockoutRule: LockoutRule;
  state: Pick<State, "sessions" | "images" | "idempotency" | "lockout" | "leases" | "signals">;
  clock: Clock;
  events: SessionEvents;
  log: FastifyBaseLogger;
  policyOf: (clientId: string) => CallerPolicy;
  /** CONNECTION_TIMEOUT_MS: a long-poll ends a second before an idle socket would be cut. */
  connectionTimeoutMs: number;
  /** The webhook feature's create-time callbackUrl check. */
  checkCallbackUrl?: ((url: string) => void) | undefined;
  /** Told of every run of the background loop (metrics). */
  onBackgroundRun?: RunObserver | undefined;
}

export interface SessionRuntime {
  service: SessionService;
  /** Deletions at Face, for the erasure by subject. */
  cleanup: SessionCleanup;
  /** The attempt budget, for the admin routes. */
  lockout: LockoutGuard;
  /** Starts the background loop and listens for settled decisions from any replica. */
  start(): Promise<void>;
  /** Long-polls waiting now, and the sessions they wait on (metrics). */
  longPolls(): { waiters: number; sessions: number };
  /** Lets every long-poll go (preClose), so the server can drain. */
  releaseWaiters(): void;
  /** Stops the background work and waits for Face deletions under way. */
  close(): Promise<void>;
}

/**
 * How long the background loop waits between looks for due work, at most: with CLAIM_LEASE_MS, it bounds how long a
 * dead replica's claimed work waits for another one. A look is one indexed query, so it is cheap however often.
 */
export const MAX_TICK_MS = 1000;

/** The signal channel that says "this session settled": long-polls on every replica wake at once. */
const SETTLED_CHANNEL = "sessions:settled";

export function createSessionRuntime(deps: SessionRuntimeDeps): SessionRuntime {
  const { settings, face, state, clock, events, log, policyOf } = deps;
  const store = state.sessions;
  const images = state.images;
  const lockout = new LockoutGuard(state.lockout, deps.lockoutRule, clock);
  const idempotency = new IdempotentCreates(state.idempotency, deps.idempotencyLeaseMs, sessionCreatedSchema);
  const schedule = new SessionSchedule({
    watchIntervalMs: settings.watch.intervalMs,
    firstPollMs: settings.watch.firstPollMs,
    retryMs: settings.sweepIntervalMs,
    deleteAfterDecision: settings.deleteAfterDecision,
  });
  const sync = new SessionSync({ face, store, clock, events, schedule, policyOf, lockout, isFailedOutcome: isDeclined });
  // This app's name as a lease holder: unique per process, so two replicas never pass for one another.
  const holder = `replica-${randomUUID()}`;
  const hub = new SessionPollHub({ sync, store, leases: state.leases, signals: state.signals, clock, log: log.child({ component: "long-poll" }), holder });
  const cleanup = new SessionCleanup({ face, store, images, events, clock }, { ...settings, retryMs: settings.sweepIntervalMs });
  const backgroundLog = log.child({ component: "session-watch" });
  const tickMs = Math.min(settings.sweepIntervalMs, settings.watch.intervalMs > 0 ? settings.watch.intervalMs : Infinity, MAX_TICK_MS);
  const background = new SessionBackground(
    { store, images, sync, cleanup, schedule, events, clock, log: backgroundLog, mayWatch: (id) => hub.mayWatch(id) },
    { tickMs, concurrency: settings.watch.concurrency, onRun: deps.onBackgroundRun },
  );
  let unsubscribe: Array<() => Promise<void>> | undefined;

  events.subscribe(async (event) => {
    // Waiters wake as soon as a decision settles, whoever settled it (the background loop, /complete, a replica).
    if (event.type === "decided") await state.signals.publish(SETTLED_CHANNEL, event.sessionId);
    // The webhook worker emits webhookDelivered; delivery counts as the caller having the decision.
    if (event.type === "webhookDelivered") await cleanup.webhookDelivered(event.sessionId, { id: SYSTEM_ACTOR_ID, log: backgroundLog });
  }, ["decided", "webhookDelivered"]);

  const service = new SessionService({
    face,
    store,
    schedule,
    images,
    clock,
    events,
    sync,
    hub,
    cleanup,
    policyOf,
    idempotency,
    lockout,
    checkCallbackUrl: deps.checkCallbackUrl,
    consentMaxAgeMs: settings.consentMaxAgeMs,
    maxLivePerClient: settings.maxLivePerClient,
    // A create's slot is held as long as its idempotency key may be: the longest a create can take.
    liveHoldMs: deps.idempotencyLeaseMs,
    maxWaitMs: Math.max(0, Math.min(MAX_WAIT_SECONDS * 1000, deps.connectionTimeoutMs - 1000)),
  });

  return {
    service,
    cleanup,
    lockout,
    start: async () => {
      // Waiters here re-read a session that settled or changed anywhere in the cluster (no Face read).
      unsubscribe ??= await Promise.all([SETTLED_CHANNEL, CHANGED_CHANNEL].map((channel) => state.signals.subscribe(channel, (id) => hub.notify(id))));
      background.start();
    },
    longPolls: () => hub.counts,
    releaseWaiters: () => hub.close(),
    close: async () => {
      hub.close();
      await background.stop();
      await cleanup.idle();
      await hub.stopped();
      await Promise.all((unsubscribe ?? []).map((stop) => stop()));
    },
  };
}
