/**
 * buildApp: the whole API as a Fastify instance that never listens. Tests, the OpenAPI generator and server.ts all
 * start here; `overrides` is the one seam for swapping a dependency (fastify/demo + lokalise's getApp pattern).
 */
import { readFileSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import multipart from "@fastify/multipart";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Dispatcher } from "undici";
import { serializerCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { DEV_API_KEY, type AppConfig } from "./config.js";
import { loadCredentials, type CredentialDeps, type Credentials } from "./credentials/credentials.js";
import { withCredentialRefresh } from "./face/face-auth-refresh.js";
import { createFaceGateway } from "./face/face-client.js";
import { createGuardedFaceGateway, type GuardedFaceGateway } from "./face/face-guard.js";
import type { FaceGateway } from "./face/face-gateway.js";
import { systemClock, type Clock } from "./lib/clock.js";
import { Lifecycle } from "./lib/lifecycle.js";
import { MAX_IMAGE_BYTES } from "./lib/image-format.js";
import { createLogger, genReqId, type Logger } from "./logger.js";
// Import order is the order named schemas register in, and so their order in openapi/openapi.json.
import { healthRoutes } from "./plugins/health.js";
import { Readiness } from "./plugins/health-readiness.js";
import { AccessLogController, withLazyChildren } from "./plugins/access-log.js";
import callerAuth from "./plugins/caller-auth.js";
import errorHandler, { clientErrorHandler, connectHandler, frameworkErrorHandler } from "./plugins/error-handler.js";
import docs from "./plugins/docs.js";
import openapi from "./plugins/openapi.js";
import { webhooksOpenApi } from "./webhooks/webhook-schemas.js";
import { rateLimiter } from "./plugins/rate-limit.js";
import security from "./plugins/security.js";
import { validatorCompiler } from "./plugins/validator-compiler.js";
import { sessionRoutes } from "./sessions/session-routes.js";
import { MULTIPART_FIELD_BYTES } from "./sessions/session-input.js";
import { createSessionRuntime } from "./sessions/session-runtime.js";
import { webhookRoutes } from "./webhooks/webhook-routes.js";
import type { Resolver } from "./webhooks/webhook-sender.js";
import { callbackUrlCheck, createWebhooks, webhookSecretSource } from "./webhooks/webhooks.js";
import { adminRoutes } from "./admin/admin-routes.js";
import { consolePlugin } from "./console/console-plugin.js";
import { auditRoutes } from "./audit/audit-routes.js";
import { SubjectErasure } from "./privacy/privacy-erasure.js";
import { privacyRoutes } from "./privacy/privacy-routes.js";
import { subscribeAuditTrail } from "./audit/audit-trail.js";
import { createLeaseMs } from "./idempotency/idempotency-creates.js";
import { createAppMetrics, type AppMetrics } from "./metrics/metrics.js";
import { metricsRoutes, observeRequest } from "./plugins/metrics.js";
import { SessionEventBus } from "./state/session-events.js";
import { createMemoryState } from "./state/state-memory.js";
import type { QuotaBucket, State } from "./state/state.js";

export interface AppOverrides {
  faceGateway?: FaceGateway;
  /** Where the Face transport sends (tests of the Face cloud host pass nock's dispatcher); else its own pool. */
  faceDispatcher?: Dispatcher;
  /**
   * Everything the service keeps (sessions, idempotency, lockouts, rate limits, webhook outbox, audit, images);
   * else createMemoryState(clock). The app closes it on close, last, whoever made it (closing twice is harmless).
   */
  state?: State;
  clock?: Clock;
  logger?: Logger;
  /** Ready credentials; otherwise they are loaded from config (Key Vault included), with these dependencies. */
  credentials?: Credentials;
  credentialDeps?: Omit<CredentialDeps, "logger">;
  /** The session event bus (tests pass their own to drain() it); else one is made here. */
  events?: SessionEventBus;
  /** Replaces DNS for webhook delivery-time address checks (tests rehearse a rebinding with it). */
  webhookResolver?: Resolver;
  /** The console's built files; default dist/console-assets (from src/ and from dist/ alike). */
  consoleAssetsDir?: string;
}

/** Every route but create keeps small bodies; create raises its own limit for a base64 image. */
const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** Above the 9 MiB create body limit; see the multipart registration below. */
const MULTIPART_PART_HWM_BYTES = 16 * 1024 * 1024;

const packageVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * The Face client as the service uses it: the SDK gateway, inside the quota guard (the state's shared token bucket,
 * Retry-After, priorities, safe retries, breaker), inside the key-refresh wrapper when the key comes from Key Vault
 * (so its one retry after a 401 also takes a quota token).
 */
function defaultFaceGateway(
  config: AppConfig,
  credentials: Credentials,
  logger: Logger,
  quota: QuotaBucket,
  metrics: AppMetrics,
  dispatcher: Dispatcher | undefined,
): { face: FaceGateway; guard: GuardedFaceGateway; transport: { close(): Promise<void> } } {
  const { endpoint } = config.face;
  if (!endpoint) throw new Error("buildApp needs config.face.endpoint (server.ts sets it in emulator mode), or a faceGateway override");
  const faceLogger = logger.child({ component: "face" });
  const gateway = createFaceGateway({
    endpoint,
    apiVersion: config.face.apiVersion,
    credential: credentials.faceCredential,
    timeoutMs: config.face.timeoutMs,
    logger: faceLogger,
    ...(dispatcher && { dispatcher }),
  });
  // The real clock, not overrides.clock: pacing follows Face's real-time quota, and a frozen test clock would stall it.
  // The quota is per Face resource, so its host names the bucket: apps on one state and one resource share it.
  const resource = new URL(endpoint).host;
  // Metrics sit inside the guard: they count what Face itself was sent, retries included.
  const guard = createGuardedFaceGateway(metrics.face.instrument(gateway), config.face.guard, {
    quota: { bucket: quota, resource },
    clock: systemClock,
    logger: faceLogger,
    // Read per call, so weights follow policies Key Vault replaces while the app runs.
    clientWeight: (clientId) => credentials.policies.of(clientId).faceQuotaWeight,
  });
  // Only a key read from Key Vault can change under a running app: with any other credential a 401 is final, and
  // the wrapper would only cost every call an async step.
  const face =
    config.face.auth === "keyVault"
      ? withCredentialRefresh(guard, { refresh: () => credentials.refreshFaceKey(), version: () => credentials.faceKeyVersion() }, faceLogger)
      : guard;
  return { face, guard, transport: gateway };
}

/** A hop count means "trust that many proxies nearest to us", as proxy-addr defines it. */
function trustProxyOption(value: boolean | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof value === "number" ? (_address, hop) => hop < value : value;
}

export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const credentials =
    overrides.credentials ?? (await loadCredentials(config, { ...overrides.credentialDeps, clock, logger: logger.child({ component: "credentials" }) }));
  const metrics = createAppMetrics();
  const state = metrics.instrumentState(overrides.state ?? createMemoryState(clock));
  const upstream = overrides.faceGateway
    ? { face: overrides.faceGateway, guard: undefined, transport: undefined }
    : defaultFaceGateway(config, credentials, logger, state.quota, metrics, overrides.faceDispatcher);
  const { face } = upstream;
  const webhookSecrets = webhookSecretSource(config.webhooks, () => credentials.webhookSecrets());
  // The core emits session events; the audit trail (and the webhook dispatcher) subscribe. A listener's failure is
  // logged, never thrown: it must not fail the request behind the event.
  const events =
    overrides.events ??
    new SessionEventBus((error, event) => logger.error({ err: error, sessionId: event.sessionId, event: event.type }, "session event listener failed"));
  const sessions = createSessionRuntime({
    settings: config.sessions,
    face,
    idempotencyLeaseMs: createLeaseMs(config.face),
    lockoutRule: config.lockout,
    state,
    clock,
    events,
    log: logger.child({ component: "sessions" }) as FastifyBaseLogger,
    policyOf: (clientId) => credentials.policies.of(clientId),
    connectionTimeoutMs: config.http.connectionTimeoutMs,
    checkCallbackUrl: callbackUrlCheck(config.webhooks, webhookSecrets),
    onBackgroundRun: metrics.loops.observer("sessions"),
  });
  const erasure = new SubjectErasure({
    state,
    cleanup: sessions.cleanup,
    clock,
    retryMs: config.sessions.sweepIntervalMs,
    receiptRetentionMs: config.erasureReceiptRetentionMs,
  });
  subscribeAuditTrail(events, { audit: state.audit, sessions: state.sessions, logger });
  const webhooks = createWebhooks(config.webhooks, {
    clock,
    logger,
    outbox: state.outbox,
    store: state.sessions,
    events,
    secrets: webhookSecrets,
    userAgent: `liveness-session-orchestrator-webhooks/${packageVersion}`,
    resolve: overrides.webhookResolver,
    onWorkerPass: metrics.loops.observer("webhooks"),
  });
  const lifecycle = new Lifecycle();
  const readiness = new Readiness({ face, state, credentials: () => credentials.status(), lifecycle, clock, log: logger.child({ component: "readiness" }) });
  const { guard } = upstream;
  metrics.watch({
    readiness: () => readiness.last(),
    events,
    outbox: state.outbox,
    guard: guard && (() => guard.stats()),
    keyVault: credentials.status().keyVault && (() => credentials.status().keyVault!),
    longPolls: () => sessions.longPolls(),
  });

  const app = Fastify({
    // One access line per request (plugins/access-log.ts) instead of Fastify's two, from request loggers that only
    // become pino children when they write.
    loggerInstance: withLazyChildren(logger),
    logController: new AccessLogController(logger, observeRequest(metrics.http)),
    genReqId,
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    // Proxy headers are trusted only from the proxies TRUST_PROXY names: anyone else could choose their own IP
    // address for logs and rate limits.
    trustProxy: trustProxyOption(config.http.trustProxy),
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    connectionTimeout: config.http.connectionTimeoutMs,
    maxRequestsPerSocket: config.http.maxRequestsPerSocket,
    routerOptions: { maxParamLength: 200 },
    // What the router and Node's HTTP parser refuse before any hook runs is answered in the one envelope too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Node would answer a missing Host with an empty 400; the security plugin refuses it in the envelope.
    http: { requireHostHeader: false },
    // A request that reaches us while the server closes (on a connection opened before) is served, with Connection:
    // close, rather than refused with a bare 503: the state is closed only after every such request is answered.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();

  // The API speaks JSON and multipart only; fastify's built-in text/plain parser would let strings through to zod.
  app.removeContentTypeParser("text/plain");
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Slowloris guard: headers must arrive well before the whole-request deadline.
  (app.server as HttpServer).headersTimeout = config.http.headersTimeoutMs;
  // A request pipelined past HTTP_MAX_REQUESTS_PER_SOCKET ends the connection: Node alone would answer each one a 503
  // and keep the socket open, so a client that pipelines and never reads could still make us queue answers.
  app.server.on("dropRequest", (_request: unknown, socket: { destroy(): void }) => socket.destroy());
  // Requests Node would otherwise answer or drop on its own, without the envelope: odd expectations and CONNECT.
  app.server.on("checkExpectation", (req, res) => app.routing(req, res));
  app.server.on("connect", connectHandler(logger as FastifyBaseLogger));
  // Draining (SIGTERM): every answer asks the client to reconnect, so keep-alive connections move to other replicas
  // and none is left open for the server's close to wait on.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (lifecycle.draining) reply.header("connection", "close");
    done(null, payload);
  });
  // Long-polls end first, with the view as it is, so the server's drain (which waits for in-flight requests) cannot hang on them.
  app.addHook("preClose", async () => sessions.releaseWaiters());
  app.addHook("onClose", async () => {
    const steps: Array<[string, () => unknown]> = [
      // Webhook attempts under way finish and are recorded; nothing new is claimed (the lease hands it to a replica).
      ["webhooks", () => webhooks.stop()],
      // Their listeners (a delivery may start a Face deletion) run while Face is still reachable.
      ["events", () => events.drain()],
      // Background session work (the due-work loop, Face deletions) stops while the Face client still works.
      ["sessions", () => sessions.close()],
      // Listeners still writing (audit appends) finish before the state they write to closes.
      ["events", () => events.drain()],
      ["face", () => upstream.guard?.close()],
      // The Face connection pool, once nothing can call Face any more.
      ["face transport", () => upstream.transport?.close()],
      ["credentials", () => credentials.close()],
      ["state", () => state.close()],
    ];
    // Every step runs even when one before it failed: a Redis outage must not leave loops running or the state open.
    for (const [step, run] of steps) {
      try {
        await run();
      } catch (error) {
        logger.error({ err: error, step }, "a shutdown step failed; the others go on");
      }
    }
  });
  // The webhook worker polls only once the app is ready, so building an app (the OpenAPI generator) sends nothing.
  app.addHook("onReady", async () => webhooks.start());
  app.decorate("webhooks", { runDue: () => webhooks.runDue() });
  // The background loop, likewise only once ready. `app.sessionEvents` is the bus, for subscribers outside buildApp.
  app.addHook("onReady", async () => sessions.start());
  app.decorate("sessionEvents", events);
  // The registry, for the separate metrics port server.ts may open (METRICS_PORT).
  app.decorate("metrics", metrics);
  // server.ts starts the drain on SIGTERM.
  app.decorate("lifecycle", lifecycle);

  await app.register(errorHandler);
  // Request id, security headers, Host/Expect checks and the per-IP limit: one hook on every request.
  await app.register(security, { rateLimitStore: state.rateLimits, perIpPerMinute: config.http.rateLimitPerIpPerMinute });
  await app.register(openapi, { version: packageVersion, webhooks: webhooksOpenApi });
  if (config.apiDocs) await app.register(docs);
  await app.register(multipart, {
    // Tight limits: a create request has a handful of short fields (the longest, callbackUrl, 2048) and one image.
    limits: { fieldNameSize: 100, fieldSize: MULTIPART_FIELD_BYTES, fields: 20, fileSize: MAX_IMAGE_BYTES, files: 3, parts: 30, headerPairs: 50 },
    // busboy (3.2.6) never finishes when a part it skips (one without `Content-Disposition: form-data`) fills past
    // its high-water mark in the same chunk that ends the body: the request would hang for good. Socket chunks are at
    // most 64 KiB and inject sends one chunk, so a mark above any create body keeps that stall from ever arming.
    fileHwm: MULTIPART_PART_HWM_BYTES,
  });
  await app.register(healthRoutes, { readiness, adminKeys: config.adminApiKeys });
  // On the API's port unless METRICS_PORT gives it one of its own (server.ts serves it there).
  if (config.metrics.enabled && config.metrics.port === undefined) await app.register(metricsRoutes, { registry: metrics.registry, token: config.metrics.token });
  await app.register(
    async (v1) => {
      await v1.register(callerAuth, {
        keyRing: credentials.keyRing,
        policies: credentials.policies,
        // Once authenticated: each client's own limit, from its policy.
        thenForCaller: rateLimiter({ name: "client", store: state.rateLimits, key: (r) => r.clientId, limit: (r) => r.callerPolicy.rateLimitPerMinute }),
      });
      await v1.register(sessionRoutes, { service: sessions.service });
      await v1.register(auditRoutes, { audit: state.audit, sessions: state.sessions });
      await v1.register(webhookRoutes, { deliveries: webhooks.deliveries });
      await v1.register(privacyRoutes, { erasure });
    },
    { prefix: "/v1" },
  );
  if (config.console.enabled) {
    await app.register(consolePlugin, {
      prefix: "/console",
      assetsDir: overrides.consoleAssetsDir ?? fileURLToPath(new URL("../dist/console-assets/", import.meta.url)),
      emulatorUrl: config.console.deviceSimulator ? config.face.endpoint : undefined,
      apiVersion: config.face.apiVersion,
      devApiKey: config.usingDevApiKey ? DEV_API_KEY : undefined,
      keyRing: credentials.keyRing,
      policies: credentials.policies,
    });
  }
  await app.register(adminRoutes, { prefix: "/admin", keys: config.adminApiKeys, lockout: sessions.lockout });
  // Built once, when every route is known: re-serialising the whole document per request would let anyone spend our
  // CPU and memory by asking for it in a loop.
  let openapiBody = Buffer.alloc(0);
  app.addHook("onReady", async () => {
    openapiBody = Buffer.from(JSON.stringify(app.swagger()));
  });
  app.get("/openapi.json", { schema: { hide: true } }, async (_request, reply) => reply.type("application/json; charset=utf-8").send(openapiBody));
  return app;
}
