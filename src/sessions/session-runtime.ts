/**
 * Wires the session machinery once per app: sync (Face reads and decisions), long-poll hub, watcher, cleanup and
 * sweeper around the service, all sharing one store, one image store and one event bus. buildApp starts it when the
 * app is ready and closes it first on close, before the Face client it uses goes away.
 */
import type { FastifyBaseLogger } from "fastify";
import type { CallerPolicy } from "../callers/caller-policy.js";
import type { FaceGateway } from "../face/face-gateway.js";
import type { Clock } from "../lib/clock.js";
import { SessionCleanup } from "./session-cleanup.js";
import type { SessionEventBus, SessionEvents } from "./session-events.js";
import type { ImageStore } from "./session-image-store.js";
import { isDeclined } from "./session-outcome-rule.js";
import { SessionPollHub } from "./session-poll-hub.js";
import type { SessionSafeguards } from "./session-safeguards.js";
import { MAX_WAIT_SECONDS } from "./session-schemas.js";
import { SessionService } from "./session-service.js";
import type { SessionStore } from "./session-store.js";
import { SessionSweeper } from "./session-sweeper.js";
import { SessionSync, SYSTEM_ACTOR_ID } from "./session-sync.js";
import { SessionWatcher } from "./session-watcher.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The session event bus: subscribe(listener) to hear created, decided, deletedAtFace, ... (session-events.ts). */
    sessionEvents: SessionEventBus;
  }
}

/** The `sessions` part of AppConfig (DELETE_AFTER_DECISION, SESSION_*). */
export interface SessionRuntimeConfig {
  deleteAfterDecision: boolean;
  imageRetentionMs: number;
  watch: { intervalMs: number; concurrency: number };
  sweepIntervalMs: number;
}

export interface SessionRuntimeDeps {
  config: SessionRuntimeConfig;
  face: FaceGateway;
  store: SessionStore;
  images: ImageStore;
  clock: Clock;
  events: SessionEvents;
  log: FastifyBaseLogger;
  policyOf: (clientId: string) => CallerPolicy;
  safeguards?: Pick<SessionSafeguards, "idempotency" | "lockout">;
  /** CONNECTION_TIMEOUT_MS: a long-poll ends a second before an idle socket would be cut. */
  connectionTimeoutMs: number;
  /** The webhook feature's create-time callbackUrl check. */
  checkCallbackUrl?: ((url: string) => void) | undefined;
}

export interface SessionRuntime {
  service: SessionService;
  /** Starts the watcher and the sweeper. */
  start(): void;
  /** Lets every long-poll go (preClose), so the server can drain. */
  releaseWaiters(): void;
  /** Stops the background work and waits for Face deletions under way. */
  close(): Promise<void>;
}

export function createSessionRuntime(deps: SessionRuntimeDeps): SessionRuntime {
  const { config, face, store, images, clock, events, log, policyOf, safeguards } = deps;
  const sync = new SessionSync({ face, store, clock, events, policyOf, lockout: safeguards?.lockout, isFailedOutcome: isDeclined });
  const hub = new SessionPollHub(sync, log.child({ component: "long-poll" }));
  const cleanup = new SessionCleanup({ face, store, images, events, clock }, config);
  const backgroundLog = log.child({ component: "session-watch" });
  const watcher = new SessionWatcher({ store, sync, clock, log: backgroundLog, isPolled: (id) => hub.isPolling(id) }, config.watch);
  const sweeper = new SessionSweeper({ store, images, sync, cleanup, events, clock, log: backgroundLog }, config.sweepIntervalMs);

  events.subscribe(async (event) => {
    // Waiters wake as soon as a decision settles, whoever settled it (watcher, /complete, another read).
    if (event.type === "decided") hub.notify(event.sessionId);
    // The webhook engineer's dispatcher emits webhookDelivered; delivery counts as the caller having the decision.
    if (event.type === "webhookDelivered") await cleanup.webhookDelivered(event.sessionId, { id: SYSTEM_ACTOR_ID, log: backgroundLog });
  });

  const service = new SessionService({
    face,
    store,
    images,
    clock,
    events,
    sync,
    hub,
    cleanup,
    policyOf,
    idempotency: safeguards?.idempotency,
    lockout: safeguards?.lockout,
    checkCallbackUrl: deps.checkCallbackUrl,
    maxWaitMs: Math.max(0, Math.min(MAX_WAIT_SECONDS * 1000, deps.connectionTimeoutMs - 1000)),
  });

  return {
    service,
    start: () => {
      watcher.start();
      sweeper.start();
    },
    releaseWaiters: () => hub.close(),
    close: async () => {
      hub.close();
      await Promise.all([watcher.stop(), sweeper.stop()]);
      await cleanup.idle();
    },
  };
}
