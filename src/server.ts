/**
 * The process entry point and the only file that reads the environment, listens, handles signals and exits.
 * With no FACE_ENDPOINT it starts the embedded Face emulator first and points the client at it.
 */
import { existsSync } from "node:fs";

import { buildApp } from "./app.js";
import { ConfigError, loadConfig, type AppConfig } from "./config.js";
import { emulatorEnvSchema } from "./emulator/emulator-config.js";
import { startEmulator, type RunningEmulator } from "./emulator/emulator-server.js";
import { gracefulShutdown } from "./lib/graceful-shutdown.js";
import { createLogger } from "./logger.js";
import { buildMetricsApp } from "./plugins/metrics.js";

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

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);

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

  const app = await buildApp(runtime, { logger });

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
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled rejection");
    process.exit(1);
  });

  const url = await app.listen({ port: config.port, host: config.host });
  const metricsUrl = await metricsApp?.listen({ port: config.metrics.port ?? 0, host: config.host });
  logger.info({ url, faceEndpoint: runtime.face.endpoint, emulatorMode: Boolean(emulator), ...(metricsUrl && { metricsUrl }) }, "API ready");
}

main().catch((error: unknown) => {
  process.stderr.write(`Startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
