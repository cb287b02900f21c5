/**
 * The whole thing a person would run, for the browser suite: the real API listening on an ephemeral port in
 * emulator mode (the development key, the console and its device simulator on), the real Face emulator on another,
 * a local webhook receiver on a third, and the console built from console/ by vite into a temp dir.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { build } from "vite";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { createLogger } from "../../src/logger.js";
import { CapturedLogs } from "../helpers/captured-logs.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";

const FACE_KEY = "face-key-for-browser-tests-0123";
/** A Standard Webhooks secret: whsec_ + base64 of the key. */
export const WEBHOOK_SECRET = `whsec_${Buffer.from("browser-suite-webhook-key-0123456789").toString("base64")}`;

export interface ConsoleStack {
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  origin: string;
  emulator: RunningEmulator;
  receiver: WebhookReceiver;
  logs: CapturedLogs;
  close(): Promise<void>;
}

/** vite's production build of console/, into a fresh dir: the suite tests what the source says, not a stale dist/. */
export async function buildConsole(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "lso-console-"));
  await build({
    configFile: fileURLToPath(new URL("../../console/vite.config.ts", import.meta.url)),
    build: { outDir: dir, emptyOutDir: true },
    logLevel: "silent",
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function startConsoleStack(assetsDir: string): Promise<ConsoleStack> {
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  const receiver = await new WebhookReceiver().start();
  const logs = new CapturedLogs();
  // As server.ts does in emulator mode: no FACE_ENDPOINT in the environment, the emulator's URL put in afterwards.
  const base = loadConfig({ WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", SESSION_WATCH_INTERVAL_MS: "500", LOG_LEVEL: "trace" });
  const config = { ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY } };
  const app = await buildApp(config, { logger: createLogger("trace", logs.stream), consoleAssetsDir: assetsDir });
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    origin,
    emulator,
    receiver,
    logs,
    close: async () => {
      await app.close();
      await receiver.close();
      await emulator.close();
    },
  };
}
