/**
 * Every environment variable the service reads, declared once with zod and described (config/config-env.ts and the
 * parts it is built from), and loadConfig, which turns them into the AppConfig the app is built with.
 * `.env.example` lists the same names (a test keeps the two in step); only src/server.ts passes `process.env` here.
 */
import type { ApiKeyEntry } from "./lib/api-key-list.js";
import type { CallerPolicies } from "./lib/caller-policy.js";
import { declaredVariables } from "./lib/env.js";
import { unknownVariableProblems } from "./lib/env-unknown.js";
import { serviceLinkHint } from "./config/config-fields.js";
import { faceGuardOptionsFromEnv, type FaceGuardSettings } from "./config/config-face-guard.js";
import { envSchema, type EnvInput, type ParsedEnv } from "./config/config-env.js";
import { crossFieldProblems } from "./config/config-rules.js";
import { stateSettings, type StateSettings } from "./config/config-state.js";

export { envSchema, type EnvInput } from "./config/config-env.js";
export { faceGuardEnvSchema, faceGuardOptionsFromEnv, type FaceGuardSettings } from "./config/config-face-guard.js";
export { MEMORY_STATE_COST } from "./config/config-state.js";
export type { ApiKeyEntry };

export const DEV_CLIENT_ID = "dev";
/**
 * The one development key that works in emulator mode when API_KEYS is unset. It is public by design:
 * it only ever opens an emulator, never a real Face resource, because a real FACE_ENDPOINT requires API_KEYS.
 */
export const DEV_API_KEY = "dev-only-insecure-api-key";

/**
 * How the Face client authenticates: a key from the environment, a key from Key Vault, or Entra ID (keyless).
 * @see https://learn.microsoft.com/azure/ai-services/authentication
 */
export type FaceAuthMode = "key" | "keyVault" | "entraId";

export interface AppConfig {
  port: number;
  host: string;
  logLevel: ParsedEnv["LOG_LEVEL"];
  face: {
    /** Unset means emulator mode: server.ts starts the emulator and points the client at it. */
    endpoint?: string;
    auth: FaceAuthMode;
    /** Mode "key" only; unset in emulator mode means the server makes up a key the emulator accepts. */
    apiKey?: string;
    apiVersion: "v1.2";
    timeoutMs: number;
    emulatorPort: number;
    /** The quota guard in front of every Face call (FACE_MAX_TPS and friends). */
    guard: FaceGuardSettings;
  };
  /** Caller keys from API_KEYS (or the development key); empty when they come from Key Vault. */
  apiKeys: ApiKeyEntry[];
  /** Per-client policies from CLIENT_POLICIES; Key Vault entries (JSON key list) take precedence per client. */
  clientPolicies: CallerPolicies;
  /** Serve the API reference at /docs (DOCS_UI; by default only in emulator mode). */
  apiDocs: boolean;
  /** True when no caller keys were configured in emulator mode and only DEV_API_KEY opens the API. */
  usingDevApiKey: boolean;
  /** No FACE_ENDPOINT: server.ts starts the embedded emulator and points config.face.endpoint at it. */
  emulatorMode: boolean;
  /** The browser console (CONSOLE); its device simulator exists only in emulator mode. */
  console: { enabled: boolean; deviceSimulator: boolean };
  /** Operator keys for /admin (ADMIN_API_KEYS); empty means the admin routes are disabled (404). */
  adminApiKeys: ApiKeyEntry[];
  /** The attempt budget per (client, subject) and (client, device): LOCKOUT_* in milliseconds. */
  lockout: { maxFailures: number; windowMs: number; cooldownMs: number };
  /** Decisions' afterlife: cleanup at Face, image retention, the background loop (DELETE_AFTER_DECISION, SESSION_*). */
  sessions: {
    deleteAfterDecision: boolean;
    imageRetentionMs: number;
    /** SESSION_IMAGE_MAX_BYTES */
    imageMaxBytes: number;
    /** SESSION_MAX_LIVE_PER_CLIENT: the live-session cap of a client whose policy sets none. */
    maxLivePerClient: number;
    watch: { intervalMs: number; firstPollMs: number; concurrency: number };
    sweepIntervalMs: number;
    /** CONSENT_MAX_AGE_SECONDS in ms. */
    consentMaxAgeMs: number;
  };
  /** ERASURE_RECEIPT_RETENTION_DAYS in ms. */
  erasureReceiptRetentionMs: number;
  /** Outgoing webhooks (WEBHOOK_*); the Key Vault secret (keyVault.secrets.webhook) takes precedence over `secrets`. */
  webhooks: { secrets: string[]; allowPrivateTargets: boolean; allowedPorts: number[]; timeoutMs: number; concurrency: number; maxInFlightPerClient: number };
  keyVault?: {
    url: string;
    refreshSeconds: number;
    secrets: { faceApiKey?: string; apiKeys?: string; webhook?: string; redisUrl?: string; stateEncryptionKey?: string };
  };
  /** Where state lives (STATE_BACKEND and friends); Redis' URL and keys may come from Key Vault instead. */
  state: StateSettings;
  /** Identity used for Entra ID (Face in mode entraId, and Key Vault). */
  azureClientId?: string;
  /** Prometheus metrics (METRICS*): where /metrics is served, and the bearer token it needs. */
  metrics: {
    enabled: boolean;
    /** A separate port for /metrics (not then on the API's port). */
    port?: number;
    token?: string;
  };
  /** SIGTERM handling in server.ts (SHUTDOWN_*). */
  shutdown: { drainDelayMs: number; timeoutMs: number };
  http: {
    trustProxy: boolean | number | string;
    rateLimitPerIpPerMinute: number;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    connectionTimeoutMs: number;
    maxRequestsPerSocket: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface LoadConfigOptions {
  /** Variables other parts of the product read from the same environment (the standalone emulator's): not typos. */
  alsoKnown?: readonly string[];
}

export function loadConfig(env: EnvInput, options: LoadConfigOptions = {}): AppConfig {
  const known = Object.keys(envSchema.shape);
  const parsed = envSchema.safeParse(declaredVariables(known, env));
  const unknown = unknownVariableProblems(known, env, options.alsoKnown);
  if (!parsed.success || unknown.length) {
    const invalid = parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}${serviceLinkHint(String(issue.path[0]), env[String(issue.path[0])])}`);
    throw new ConfigError([...invalid, ...unknown]);
  }
  const e = parsed.data;
  const problems = crossFieldProblems(e);
  if (problems.length) throw new ConfigError(problems);

  const usingDevApiKey = !e.FACE_ENDPOINT && !e.API_KEYS && !e.API_KEYS_SECRET_NAME;
  const emulatorMode = !e.FACE_ENDPOINT;
  // A console that only talks to an emulator is on unless turned off; against real Face it must be asked for.
  const consoleEnabled = e.CONSOLE === undefined ? emulatorMode : e.CONSOLE === "on";
  const auth: FaceAuthMode = e.FACE_APIKEY_SECRET_NAME ? "keyVault" : e.FACE_APIKEY || !e.FACE_ENDPOINT ? "key" : "entraId";
  const config: AppConfig = {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    face: {
      auth,
      apiVersion: e.FACE_API_VERSION,
      timeoutMs: e.FACE_TIMEOUT_MS,
      emulatorPort: e.FACE_EMULATOR_PORT,
      guard: faceGuardOptionsFromEnv(e),
    },
    apiKeys: usingDevApiKey ? [{ clientId: DEV_CLIENT_ID, key: DEV_API_KEY }] : (e.API_KEYS ?? []),
    clientPolicies: e.CLIENT_POLICIES ?? {},
    http: {
      trustProxy: e.TRUST_PROXY,
      rateLimitPerIpPerMinute: e.RATE_LIMIT_PER_IP_PER_MINUTE,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeoutMs: e.CONNECTION_TIMEOUT_MS,
      maxRequestsPerSocket: e.HTTP_MAX_REQUESTS_PER_SOCKET,
    },
    usingDevApiKey,
    emulatorMode,
    console: { enabled: consoleEnabled, deviceSimulator: consoleEnabled && emulatorMode },
    apiDocs: e.DOCS_UI === undefined ? !e.FACE_ENDPOINT : e.DOCS_UI === "on",
    adminApiKeys: e.ADMIN_API_KEYS ?? [],
    webhooks: {
      secrets: e.WEBHOOK_SECRET ?? [],
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      allowedPorts: e.WEBHOOK_ALLOWED_PORTS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
      maxInFlightPerClient: e.WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT,
    },
    metrics: { enabled: e.METRICS === undefined ? !e.FACE_ENDPOINT || e.METRICS_PORT !== undefined || e.METRICS_TOKEN !== undefined : e.METRICS === "on" },
    shutdown: { drainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS, timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
    lockout: { maxFailures: e.LOCKOUT_MAX_FAILURES, windowMs: e.LOCKOUT_WINDOW_SECONDS * 1000, cooldownMs: e.LOCKOUT_COOLDOWN_SECONDS * 1000 },
    sessions: {
      deleteAfterDecision: e.DELETE_AFTER_DECISION,
      imageRetentionMs: e.SESSION_IMAGE_RETENTION_SECONDS * 1000,
      imageMaxBytes: e.SESSION_IMAGE_MAX_BYTES,
      maxLivePerClient: e.SESSION_MAX_LIVE_PER_CLIENT,
      watch: { intervalMs: e.SESSION_WATCH_INTERVAL_MS, firstPollMs: e.SESSION_WATCH_FIRST_POLL_MS, concurrency: e.SESSION_WATCH_CONCURRENCY },
      sweepIntervalMs: e.SESSION_SWEEP_INTERVAL_MS,
      consentMaxAgeMs: e.CONSENT_MAX_AGE_SECONDS * 1000,
    },
    state: stateSettings(e),
    erasureReceiptRetentionMs: e.ERASURE_RECEIPT_RETENTION_DAYS * 86_400_000,
  };
  if (e.FACE_ENDPOINT) config.face.endpoint = e.FACE_ENDPOINT;
  if (e.FACE_APIKEY) config.face.apiKey = e.FACE_APIKEY;
  if (e.AZURE_CLIENT_ID) config.azureClientId = e.AZURE_CLIENT_ID;
  if (e.METRICS_PORT !== undefined) config.metrics.port = e.METRICS_PORT;
  if (e.METRICS_TOKEN) config.metrics.token = e.METRICS_TOKEN;
  if (e.KEY_VAULT_URL) {
    const secrets: NonNullable<AppConfig["keyVault"]>["secrets"] = {};
    if (e.FACE_APIKEY_SECRET_NAME) secrets.faceApiKey = e.FACE_APIKEY_SECRET_NAME;
    if (e.API_KEYS_SECRET_NAME) secrets.apiKeys = e.API_KEYS_SECRET_NAME;
    if (e.WEBHOOK_SECRET_NAME) secrets.webhook = e.WEBHOOK_SECRET_NAME;
    if (e.REDIS_URL_SECRET_NAME) secrets.redisUrl = e.REDIS_URL_SECRET_NAME;
    if (e.STATE_ENCRYPTION_KEY_SECRET_NAME) secrets.stateEncryptionKey = e.STATE_ENCRYPTION_KEY_SECRET_NAME;
    config.keyVault = { url: e.KEY_VAULT_URL, refreshSeconds: e.KEY_VAULT_REFRESH_SECONDS, secrets };
  }
  return config;
}
