/** Where the state lives (STATE_BACKEND, REDIS_*, STATE_ENCRYPTION_*): its variables, its settings and its rules. */
import { z } from "zod";
import { encryptionKeyList, redisKeyPrefix, redisUrl, secretName } from "./config-fields.js";

export const stateEnvShape = {
  STATE_BACKEND: z
    .enum(["memory", "redis"])
    .optional()
    .describe(
      "Where sessions, idempotent creates, lockouts, rate limits, the webhook outbox, audit trails and kept images live: memory (one replica; a restart loses them) or redis (shared by replicas, survives restarts). Unset: redis when REDIS_URL or REDIS_URL_SECRET_NAME is set, else memory.",
    ),
  REDIS_URL: redisUrl
    .optional()
    .describe(
      "Redis for the state: redis://[:password@]host[:port][/db], or rediss:// for TLS (Azure: rediss://:<access key>@<name>.redis.cache.windows.net:6380). Secret (it holds the password); only its host is ever logged.",
    ),
  REDIS_URL_SECRET_NAME: secretName.optional().describe("Key Vault secret holding the whole Redis URL in REDIS_URL's format (instead of REDIS_URL)."),
  REDIS_KEY_PREFIX: redisKeyPrefix
    .default("lso:")
    .describe("Prefix of every Redis key and channel the state uses, so deployments can share one Redis."),
  STATE_ENCRYPTION_KEY: encryptionKeyList
    .optional()
    .describe(
      "AES-256-GCM keys sealing secrets and images in Redis: base64 of 32 random bytes (openssl rand -base64 32), comma separated, newest first; the first seals, all open. Secret. Required with the Redis backend.",
    ),
  STATE_ENCRYPTION_KEY_SECRET_NAME: secretName
    .optional()
    .describe("Key Vault secret holding the state encryption keys in STATE_ENCRYPTION_KEY's format (instead of STATE_ENCRYPTION_KEY)."),
};

type StateEnv = z.infer<z.ZodObject<typeof stateEnvShape>> & { FACE_ENDPOINT?: string | undefined };

/** Where state lives. For Redis, `url` and `encryptionKeys` are unset when they come from Key Vault. */
export interface StateSettings {
  backend: "memory" | "redis";
  /** True when STATE_BACKEND was set, rather than inferred. */
  explicit: boolean;
  redis?: { url?: string; keyPrefix: string };
  encryptionKeys: Buffer[];
}

/** What a memory state costs in production: the message that makes STATE_BACKEND=memory a deliberate choice. */
export const MEMORY_STATE_COST =
  "a restart loses live sessions, idempotent replays, lockouts and undelivered webhooks, and only one replica may run";

const redisConfigured = (e: StateEnv) => Boolean(e.REDIS_URL || e.REDIS_URL_SECRET_NAME);
const stateBackendOf = (e: StateEnv) => e.STATE_BACKEND ?? (redisConfigured(e) ? "redis" : "memory");

export function stateSettings(e: StateEnv): StateSettings {
  const backend = stateBackendOf(e);
  const state: StateSettings = { backend, explicit: e.STATE_BACKEND !== undefined, encryptionKeys: [] };
  if (backend === "redis") {
    state.redis = { keyPrefix: e.REDIS_KEY_PREFIX, ...(e.REDIS_URL && { url: e.REDIS_URL }) };
    state.encryptionKeys = e.STATE_ENCRYPTION_KEY ?? [];
  }
  return state;
}

/** The state backend's rules: Redis needs a URL and a key; a real Face endpoint needs Redis or an explicit memory. */
export function stateProblems(e: StateEnv): string[] {
  const problems: string[] = [];
  const backend = stateBackendOf(e);
  if (e.REDIS_URL && e.REDIS_URL_SECRET_NAME) {
    problems.push("REDIS_URL: set together with REDIS_URL_SECRET_NAME; choose one source for the Redis URL");
  }
  if (e.STATE_ENCRYPTION_KEY && e.STATE_ENCRYPTION_KEY_SECRET_NAME) {
    problems.push("STATE_ENCRYPTION_KEY: set together with STATE_ENCRYPTION_KEY_SECRET_NAME; choose one source for the state encryption keys");
  }
  if (e.STATE_BACKEND === "memory" && redisConfigured(e)) {
    problems.push(`STATE_BACKEND: memory, but ${e.REDIS_URL ? "REDIS_URL" : "REDIS_URL_SECRET_NAME"} is set; unset it, or use STATE_BACKEND=redis`);
  }
  if (e.STATE_BACKEND === "redis" && !redisConfigured(e)) {
    problems.push("STATE_BACKEND: redis needs REDIS_URL (or REDIS_URL_SECRET_NAME to read it from Key Vault)");
  }
  if (backend === "redis" && !e.STATE_ENCRYPTION_KEY && !e.STATE_ENCRYPTION_KEY_SECRET_NAME) {
    problems.push(
      "STATE_ENCRYPTION_KEY: required with the Redis backend (it seals auth tokens, images and webhook URLs at rest): base64 of 32 random bytes, e.g. `openssl rand -base64 32` (or set STATE_ENCRYPTION_KEY_SECRET_NAME to read it from Key Vault)",
    );
  }
  if (e.FACE_ENDPOINT && !e.STATE_BACKEND && !redisConfigured(e)) {
    problems.push(
      `REDIS_URL: required when FACE_ENDPOINT is set (or REDIS_URL_SECRET_NAME). To run on memory anyway, set STATE_BACKEND=memory and accept that ${MEMORY_STATE_COST}`,
    );
  }
  return problems;
}
