import { pathToFileURL } from "node:url";

import { createLogger } from "../logger.js";
import { buildEmulator, type EmulatorOptions } from "./emulator-app.js";
import { loadEmulatorConfig } from "./emulator-config.js";
import { EmulatorState } from "./emulator-state.js";

/**
 * Runs the Face emulator on a real port: `startEmulator` for tests and the API server's embedded mode, and the
 * standalone entry for `npm run emulator`.
 */
export interface RunningEmulator {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:5001`: what the SDK takes as its endpoint. */
  url: string;
  state: EmulatorState;
  close(): Promise<void>;
}

export async function startEmulator(
  options: EmulatorOptions & { port?: number; host?: string } = {},
): Promise<RunningEmulator> {
  const { port = 0, host = "127.0.0.1", ...emulatorOptions } = options;
  const state = emulatorOptions.state ?? new EmulatorState();
  const app = await buildEmulator({ ...emulatorOptions, state });
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    await app.close();
    throw new Error("The Face emulator is not listening on a TCP port");
  }
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { url: `http://${urlHost}:${address.port}`, state, close: () => app.close() };
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadEmulatorConfig(process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const emulator = await startEmulator({
    port: config.FACE_EMULATOR_PORT,
    host: config.FACE_EMULATOR_HOST,
    logger,
    ...(config.FACE_APIKEY === undefined ? {} : { apiKey: config.FACE_APIKEY }),
    ...(config.FACE_EMULATOR_FAULTS === undefined ? {} : { faults: config.FACE_EMULATOR_FAULTS }),
  });
  logger.info({ url: emulator.url, endpoint: `${emulator.url}/face/v1.2` }, "Face emulator listening");
  if (emulator.state.faults.active) {
    logger.warn({ faults: emulator.state.faults.describe() }, "Face emulator: injecting faults (FACE_EMULATOR_FAULTS)");
  }

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "Face emulator shutting down");
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "Face emulator did not close cleanly");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((error: unknown) => {
    console.error("Face emulator failed to start:", error);
    process.exit(1);
  });
}
