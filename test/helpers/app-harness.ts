/**
 * The API wired to a real Face emulator over real HTTP: buildApp with the real gateway, the emulator on an
 * ephemeral port, and every log line captured in memory so tests can search it.
 */
import type { FastifyInstance } from "fastify";
import { buildApp, type AppOverrides } from "../../src/app.js";
import { loadConfig, type EnvInput } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { createLogger } from "../../src/logger.js";
import { CapturedLogs } from "./captured-logs.js";

export { CapturedLogs };

export const FACE_KEY = "face-key-for-tests-0123456789";
export const CLIENTS = {
  acme: { clientId: "acme", key: "acme-api-key-0123456789abcdef" },
  globex: { clientId: "globex", key: "globex-api-key-0123456789abcdef" },
} as const;

export const apiKeysEnv = Object.values(CLIENTS)
  .map((c) => `${c.clientId}:${c.key}`)
  .join(",");

export interface TestStack {
  app: FastifyInstance;
  emulator: RunningEmulator;
  logs: CapturedLogs;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The emulator logs into the same capture, at the same level, tagged component "emulator"; else it is silent. */
  emulatorLogs?: boolean;
}

/** The stack at LOG_LEVEL (debug unless `env` says otherwise): a test asking for trace gets trace. */
export async function startStack(env: EnvInput = {}, overrides: AppOverrides = {}, options: StackOptions = {}): Promise<TestStack> {
  const logs = new CapturedLogs();
  const base = loadConfig({ API_KEYS: apiKeysEnv, LOG_LEVEL: "debug", ...env });
  const logger = createLogger(base.logLevel, logs.stream);
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY, ...(options.emulatorLogs && { logger: logger.child({ component: "emulator" }) }) });
  const config = { ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY } };
  const app = await buildApp(config, { logger, ...overrides });
  await app.ready();
  return {
    app,
    emulator,
    logs,
    close: async () => {
      await app.close();
      await emulator.close();
    },
  };
}

export const auth = (client: keyof typeof CLIENTS = "acme") => ({ "x-api-key": CLIENTS[client].key });

/** POST /v1/sessions as JSON. */
export function createSession(app: FastifyInstance, body: unknown, client: keyof typeof CLIENTS = "acme") {
  return app.inject({ method: "POST", url: "/v1/sessions", headers: auth(client), payload: body as Record<string, unknown> });
}
