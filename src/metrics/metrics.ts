/**
 * Everything the app measures, in one per-app registry (metrics-registry.ts says why never the global one).
 * buildApp creates it first, wraps the Face gateway and the state with it, hands the loop observers to the loops,
 * and points watch() at what is read on every scrape: the quota guard, the outbox, Key Vault, long-polls, readiness.
 */
import type { Registry } from "prom-client";
import type { SecretsStatus } from "../credentials/key-vault-secrets.js";
import type { FaceGuardStats } from "../face/face-guard-stats.js";
import type { SessionEvents } from "../state/session-events.js";
import type { State } from "../state/state.js";
import type { WebhookOutbox } from "../state/webhook-outbox.js";
import { collectKeyVaultMetrics } from "./metrics-credentials.js";
import { subscribeEventMetrics } from "./metrics-events.js";
import { faceMetrics, type FaceMetrics } from "./metrics-face.js";
import { httpMetrics, type HttpMetrics } from "./metrics-http.js";
import { loopMetrics, type LoopMetrics } from "./metrics-loops.js";
import { collectReadinessMetrics, type ReadinessSnapshot } from "./metrics-readiness.js";
import { createMetricsRegistry } from "./metrics-registry.js";
import { instrumentState } from "./metrics-state.js";
import { collectOutboxMetrics } from "./metrics-webhooks.js";

export interface MetricSources {
  events: SessionEvents;
  outbox: WebhookOutbox;
  /** The quota guard's stats, when the app made the guard (not with an injected Face gateway). */
  guard?: (() => FaceGuardStats) | undefined;
  /** Key Vault's status, when the credentials come from Key Vault. */
  keyVault?: (() => SecretsStatus) | undefined;
  longPolls: () => { waiters: number; sessions: number };
  /** The last readiness report. */
  readiness: () => ReadinessSnapshot | undefined;
}

export interface AppMetrics {
  readonly registry: Registry;
  readonly http: HttpMetrics;
  readonly face: FaceMetrics;
  readonly loops: LoopMetrics;
  instrumentState<S extends State>(state: S): S;
  watch(sources: MetricSources): void;
}

export function createAppMetrics(): AppMetrics {
  const registry = createMetricsRegistry();
  const loops = loopMetrics(registry);
  const face = faceMetrics(registry);
  return {
    registry,
    http: httpMetrics(registry),
    face,
    loops,
    instrumentState: (state) => instrumentState(state, registry),
    watch: (sources) => {
      subscribeEventMetrics(registry, sources.events);
      collectOutboxMetrics(registry, sources.outbox);
      if (sources.guard) face.collectGuard(sources.guard);
      const keyVault = sources.keyVault;
      if (keyVault) collectKeyVaultMetrics(registry, keyVault);
      loops.collectLongPolls(sources.longPolls);
      collectReadinessMetrics(registry, sources.readiness);
    },
  };
}

declare module "fastify" {
  interface FastifyInstance {
    /** The app's metrics (its registry): server.ts serves it on METRICS_PORT when that is set. */
    metrics: AppMetrics;
  }
}
