/**
 * The process entry point and the only file that reads the environment, listens, handles signals and exits.
 * With no FACE_ENDPOINT it starts the embedded Face emulator first and points the client at it. It builds the
 * state once (memory, or Redis with bounded tries to connect) and hands it to the app, which closes it last.
 */
import { existsSync } from "node:fs";

import { buildApp } from "./app.js";
import { ConfigError, loadConfig, MEMORY_STATE_COST, type AppConfig } from "./config.js";
import { loadCredentials, type Credentials } from "./credentials/credentials.js";
import { emulatorEnvSchema } from "./emulator/emulator-config.js";
import { startEmulator, type RunningEmulator } from "./emulator/emulator-server.js";
import { systemClock } from "./lib/clock.js";
import { gracefulShutdown } from "./lib/graceful-shutdown.js";
import { describeRedisEndpoint } from "./lib/redis-url.js";
import { createLogger, type Logger } from "./logger.js";
import { buildMetricsApp } from "./plugins/metrics.js";
import { RedisUnreachableError, RedisVersionError } from "./state/redis/redis-connection.js";
import { redisErrorReason } from "./state/redis/redis-errors.js";
import { openRedisState } from "./state/redis/redis-state.js";
import { createMemoryState } from "./state/state-memory.js";
import type { State } from "./state/state.js";

const ENV_FILE = ".env";

function readConfig(): AppConfig {
  try {
    // Node's own loader: it never overrides a variable already in the environment, so the platform's (or the
    // shell's) settings win over the file, the order twelve-factor deployments expect.
    if (existsSync(ENV_FILE)) process.loadEnvFile(ENV_FILE);
    // The standalone emulator's variables may share a .env with the server's; they are not typos here.
    return loadConfig(process.env, { alsoKnown: Object.keys(emulatorEnvSchema.shape) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example or docs/configuration.md for every variable and its meaning.\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The state the app runs on, logged once: the backend, and for Redis its host and key prefix (never the URL, which
 * holds the password). A Redis that does not answer after the bounded tries stops the start with a message naming
 * the variable the URL came from and the host.
 */
async function openState(config: AppConfig, credentials: Credentials, logger: Logger): Promise<State> {
  const settings = config.state;
  if (settings.backend === "memory") {
    if (config.face.endpoint) logger.warn({ backend: "memory" }, `state: memory (STATE_BACKEND=memory): ${MEMORY_STATE_COST}`);
    else logger.info({ backend: "memory" }, "state: memory (emulator mode; a restart forgets every session)");
    return createMemoryState(systemClock);
  }
  const secrets = credentials.stateSecrets();
  const variable = settings.redis?.url ? "REDIS_URL" : "REDIS_URL_SECRET_NAME";
  const url = settings.redis?.url ?? secrets.redisUrl;
  const encryptionKeys = settings.encryptionKeys.length ? settings.encryptionKeys : (secrets.encryptionKeys ?? []);
  const keyPrefix = settings.redis?.keyPrefix;
  // loadConfig and loadCredentials guarantee both; this only narrows the types.
  if (!url || !encryptionKeys.length) throw new Error("the Redis state needs a URL and an encryption key");
  const log = logger.child({ component: "state" });
  try {
    const state = await openRedisState(
      url,
      {
        encryptionKeys,
        ...(keyPrefix !== undefined && { keyPrefix }),
        connection: { log },
        // Only the driver's message: ioredis errors carry the failed command's arguments (AUTH: the password).
        onError: (error, source) =>
          source === "redis subscriber"
            ? log.debug({ source, reason: redisErrorReason(error) }, "Redis subscriber connection error")
            : log.error({ source, reason: redisErrorReason(error) }, "state signal handler failed"),
      },
      systemClock,
    );
    logger.info({ backend: "redis", redis: describeRedisEndpoint(url), keyPrefix: state.keyPrefix }, "state: redis");
    return state;
  } catch (error) {
    if (error instanceof RedisVersionError) {
      throw new Error(
        `${variable}: ${error.message}. Azure Cache for Redis Basic, Standard and Premium run Redis 6.0; use Azure Managed Redis (see docs/state.md).`,
      );
    }
    if (!(error instanceof RedisUnreachableError)) throw error;
    throw new Error(
      `${variable}: Redis at ${error.endpoint} did not answer after ${error.attempts} attempts (last error: ${error.reason}). ` +
        "Check the host, the port (Azure Cache for Redis: 6380, Azure Managed Redis: 10000), rediss:// for TLS, the access key, and that this host may reach it.",
    );
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled rejection");
    process.exit(1);
  });

  let emulator: RunningEmulator | undefined;
  let runtime = config;
  if (!config.face.endpoint) {
    // The embedded emulator accepts FACE_APIKEY when set, else any key (credentials.ts then makes one up).
    emulator = await startEmulator({
      port: config.face.emulatorPort,
      host: "127.0.0.1",
      ...(config.face.apiKey !== undefined && { apiKey: config.face.apiKey }),
      logger: logger.child({ component: "emulator" }),
    });
    runtime = { ...config, face: { ...config.face, endpoint: emulator.url } };
    logger.warn(
      { emulatorUrl: emulator.url },
      "EMULATOR MODE: FACE_ENDPOINT is unset, so sessions go to the embedded Face emulator. No real liveness check happens. Set FACE_ENDPOINT for production.",
    );
  }
  if (config.usingDevApiKey) {
    logger.warn("API_KEYS is unset: only the documented development key opens the API (see README). Never use this outside development.");
  }

  let app;
  let state: State | undefined;
  const credentials = await loadCredentials(runtime, { logger: logger.child({ component: "credentials" }) });
  try {
    state = await openState(config, credentials, logger);
    app = await buildApp(runtime, { logger, credentials, state });
  } catch (error) {
    // Nothing listens yet: release what was opened so the exit below is the only thing left to do.
    credentials.close();
    await state?.close();
    await emulator?.close();
    throw error;
  }

  // METRICS_PORT: /metrics on a port of its own (and not on the API's), for a scraper inside the network only.
  const metricsApp = config.metrics.enabled && config.metrics.port !== undefined
    ? await buildMetricsApp(app.metrics.registry, { token: config.metrics.token, logger: logger.child({ component: "metrics" }) })
    : undefined;

  const shutdown = gracefulShutdown({
    drain: () => app.lifecycle.startDraining(),
    drainDelayMs: config.shutdown.drainDelayMs,
    timeoutMs: config.shutdown.timeoutMs,
    // The app closes its state last, after the background work and the webhook worker that write to it.
    close: () => app.close(),
    // Scrapes keep working until the API is closed; the embedded emulator goes last, as the app's Face.
    after: [async () => metricsApp?.close(), async () => emulator?.close()],
    log: logger,
    exit: (code) => process.exit(code),
  });
  // SIGTERM is the platform asking (rolling update, scale-in): drain first. SIGINT is someone at a terminal.
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT", { skipDrainDelay: true }));

  const url = await app.listen({ port: config.port, host: config.host });
  const metricsUrl = await metricsApp?.listen({ port: config.metrics.port ?? 0, host: config.host });
  logger.info({ url, faceEndpoint: runtime.face.endpoint, emulatorMode: Boolean(emulator), ...(metricsUrl && { metricsUrl }) }, "API ready");
}

main().catch((error: unknown) => {
  process.stderr.write(`Startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
