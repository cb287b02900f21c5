/**
 * The process entry point and the only file that reads the environment, listens, handles signals and exits.
 * With no FACE_ENDPOINT it starts the embedded Face emulator first and points the client at it.
 */
import { existsSync } from "node:fs";

import { buildApp } from "./app.js";
import { ConfigError, loadConfig, type AppConfig } from "./config.js";
import { emulatorEnvSchema } from "./emulator/emulator-config.js";
import { startEmulator, type RunningEmulator } from "./emulator/emulator-server.js";
import { createLogger } from "./logger.js";

const SHUTDOWN_GRACE_MS = 10_000;

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

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    void (async () => {
      await app.close();
      await emulator?.close();
      process.exit(0);
    })();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled rejection");
    process.exit(1);
  });

  const url = await app.listen({ port: config.port, host: config.host });
  logger.info({ url, faceEndpoint: runtime.face.endpoint, emulatorMode: Boolean(emulator) }, "API ready");
}

main().catch((error: unknown) => {
  process.stderr.write(`Startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
