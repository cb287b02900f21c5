/**
 * The webhook feature assembled for buildApp: the create-time callbackUrl check, the dispatcher subscribed to
 * session events, the worker over the state's outbox, and the routes' service. buildApp calls start() when the
 * app is ready and stop() when it closes (the outbox belongs to the state, which closes it).
 */
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import type { Clock } from "../lib/clock.js";
import type { RunObserver } from "../lib/periodic-task.js";
import type { SessionEvents } from "../state/session-events.js";
import type { SessionStore } from "../state/session-store.js";
import type { WebhookOutbox } from "../state/webhook-outbox.js";
import { WebhookDeliveries } from "./webhook-deliveries.js";
import { createDispatcher } from "./webhook-dispatcher.js";
import { createWebhookSender, type Resolver } from "./webhook-sender.js";
import { assertCallbackUrlAllowed } from "./webhook-url.js";
import { WebhookWorker } from "./webhook-worker.js";

/** WEBHOOK_* (config.ts passes its `webhooks` part). */
export interface WebhookSettings {
  /** WEBHOOK_SECRET, newest first; Key Vault's secrets take precedence. */
  secrets: string[];
  allowPrivateTargets: boolean;
  /** WEBHOOK_ALLOWED_PORTS */
  allowedPorts: number[];
  timeoutMs: number;
  concurrency: number;
  /** WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT */
  maxInFlightPerClient: number;
}

export interface WebhookDeps {
  clock: Clock;
  logger: FastifyBaseLogger;
  /** The state's outbox and session records. */
  outbox: WebhookOutbox;
  store: SessionStore;
  events: SessionEvents;
  /** webhookSecretSource(...) */
  secrets: () => string[];
  userAgent: string;
  /** Replaces DNS for delivery-time address checks (tests rehearse a rebinding with it). */
  resolve?: Resolver | undefined;
  /** Told of every pass of the delivery worker (metrics). */
  onWorkerPass?: RunObserver | undefined;
}

export interface Webhooks {
  deliveries: WebhookDeliveries;
  /** Sends what is due by the app's clock and resolves when those attempts are recorded (tests drive time with it). */
  runDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

declare module "fastify" {
  interface FastifyInstance {
    webhooks: Pick<Webhooks, "runDue">;
  }
}

/** The signing secrets: Key Vault's (WEBHOOK_SECRET_NAME) when set, else WEBHOOK_SECRET; newest first. */
export function webhookSecretSource(config: Pick<WebhookSettings, "secrets">, fromVault: () => string[]): () => string[] {
  return () => {
    const secrets = fromVault();
    return secrets.length ? secrets : config.secrets;
  };
}

/** The create-time check the session service runs on a callbackUrl: webhooks must be on, and the host allowed. */
export function callbackUrlCheck(config: Pick<WebhookSettings, "allowPrivateTargets" | "allowedPorts">, secrets: () => string[]): (url: string) => void {
  return (url) => {
    // Refused at create rather than accepted and failed later: the caller learns now, while it can still act.
    if (!secrets().length) {
      throw new AppError("LSO_ERR_WEBHOOKS_DISABLED", {
        fields: [{ path: "body.callbackUrl", message: "webhooks are off: set WEBHOOK_SECRET_NAME (Key Vault) or WEBHOOK_SECRET" }],
      });
    }
    assertCallbackUrlAllowed(url, config);
  };
}

export function createWebhooks(config: WebhookSettings, deps: WebhookDeps): Webhooks {
  const logger = deps.logger.child({ component: "webhooks" });
  const { outbox, secrets } = deps;
  if (config.allowPrivateTargets) {
    logger.warn("WEBHOOK_ALLOW_PRIVATE_TARGETS=true: webhooks may be sent to private and loopback addresses; for development and tests only");
  }
  const worker = new WebhookWorker({
    outbox,
    send: createWebhookSender({
      timeoutMs: config.timeoutMs,
      allowPrivateTargets: config.allowPrivateTargets,
      allowedPorts: config.allowedPorts,
      ...(deps.resolve && { resolve: deps.resolve }),
    }),
    secrets,
    clock: deps.clock,
    events: deps.events,
    logger,
    concurrency: config.concurrency,
    maxInFlightPerClient: config.maxInFlightPerClient,
    timeoutMs: config.timeoutMs,
    userAgent: deps.userAgent,
    onPass: deps.onWorkerPass,
  });
  const kick = () => worker.kick();
  deps.events.subscribe(createDispatcher({ outbox, store: deps.store, clock: deps.clock, logger, onQueued: kick }), ["decided"]);

  return {
    deliveries: new WebhookDeliveries(outbox, deps.store, kick),
    runDue: () => worker.runDue(),
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
