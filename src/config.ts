/**
 * Every environment variable the service reads, declared once with zod and described.
 * `.env.example` lists the same names (a test keeps the two in step); only src/server.ts passes `process.env` here.
 */
import { z } from "zod";
import { hashApiKey, parseApiKeyList, type ApiKeyEntry } from "./lib/api-key-list.js";
import { callerPoliciesSchema, type CallerPolicies } from "./lib/caller-policy.js";
import { declaredVariables, jsonOf, logLevelSchema, portSchema } from "./lib/env.js";
import { isLoopbackHost } from "./lib/loopback-host.js";
import { parseWebhookSecretList } from "./lib/webhook-secret-list.js";
import { parseEncryptionKeyList } from "./lib/encryption-key-list.js";
import { redisUrlProblems } from "./lib/redis-url.js";
import { unknownVariableProblems } from "./lib/env-unknown.js";

export const DEV_CLIENT_ID = "dev";
/**
 * The one development key that works in emulator mode when API_KEYS is unset. It is public by design:
 * it only ever opens an emulator, never a real Face resource, because a real FACE_ENDPOINT requires API_KEYS.
 */
export const DEV_API_KEY = "dev-only-insecure-api-key";

const faceEndpoint = z
  .url({ message: "expected an absolute URL such as https://<resource>.cognitiveservices.azure.com" })
  // The client appends /face/<version> itself: a pasted ".../face/v1.2" would become ".../face/v1.2/face/v1.2" and
  // every call a 404, so anything beyond the origin is refused here rather than discovered on the first session.
  // Tested on the raw text too, since the URL parser drops an empty "?" or "#".
  .refine((value) => !URL.canParse(value) || (new URL(value).pathname === "/" && !/[?#]/.test(value)), {
    message: "must be the resource's origin only, with no path, query or fragment: expected https://<resource>.cognitiveservices.azure.com",
  })
  .transform((value) => new URL(value))
  // Plain http is further limited to loopback or FACE_ALLOW_HTTP_HOSTS, by envSchema's refinement.
  .refine((url) => url.protocol === "https:" || url.protocol === "http:", { message: "must use https" })
  .refine((url) => !url.username && !url.password, { message: "must not carry credentials" })
  // The origin alone: no trailing slash, since the SDK concatenates `${endpoint}/face/${apiVersion}`.
  .transform((url) => url.origin);

const apiKeys = z.string().transform((raw, ctx) => {
  const { entries, problems } = parseApiKeyList(raw);
  for (const message of problems) ctx.addIssue({ code: "custom", message });
  return entries;
});

/** Key Vault secret names: 1 to 127 letters, digits and dashes. */
const secretName = z.string().regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault secret name (letters, digits, '-')");

/** Webhook signing secrets: Standard Webhooks `whsec_<base64>`, comma separated, newest first. */
const webhookSecretList = z.string().transform((raw, ctx) => {
  const { secrets, problems } = parseWebhookSecretList(raw);
  for (const message of problems) ctx.addIssue({ code: "custom", message });
  return secrets;
});

/** STATE_ENCRYPTION_KEY: base64 32-byte keys, comma separated, newest first. */
const encryptionKeyList = z.string().transform((raw, ctx) => {
  const { keys, problems } = parseEncryptionKeyList(raw);
  for (const message of problems) ctx.addIssue({ code: "custom", message });
  return keys;
});

/** REDIS_URL: checked without zod's URL messages, which could quote the value (its password). */
const redisUrl = z.string().superRefine((raw, ctx) => {
  for (const message of redisUrlProblems(raw)) ctx.addIssue({ code: "custom", message });
});

/** The same rule as the Redis backend's key names (no braces, so the prefix cannot open a Cluster hash tag). */
const redisKeyPrefix = z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, "may hold only letters, digits and : . _ - (1 to 64)");

/** TCP ports, comma separated: each 1 to 65535, at least one. */
const portList = z
  .string()
  .transform((raw) => raw.split(",").map((s) => s.trim()).filter(Boolean))
  .refine((ports) => ports.length > 0 && ports.every((p) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535), {
    message: "expected TCP ports (1 to 65535), comma separated, e.g. 443,8443",
  })
  .transform((ports) => [...new Set(ports.map(Number))]);

const keyVaultUrl = z
  .url({ message: "expected https://<vault>.vault.azure.net" })
  .refine((value) => new URL(value).protocol === "https:", { message: "must use https" })
  .transform((value) => value.replace(/\/+$/, ""));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Kubernetes injects `<SERVICE>_PORT=tcp://<ip>:<port>` into every pod of a namespace for each Service (service
 * links): a Service named "metrics" sets METRICS_PORT. Say so, rather than only "expected number".
 */
function serviceLinkHint(name: string, raw: string | undefined): string {
  if (!name.endsWith("_PORT") || !raw || !/^[a-z]+:\/\//.test(raw.trim())) return "";
  const service = name.slice(0, -"_PORT".length).toLowerCase();
  return ` (this looks like a Kubernetes service link for a Service named '${service}': set enableServiceLinks: false or rename the Service)`;
}

/**
 * The Face quota guard's variables. Defaults fit an S0 Face resource (10 TPS); an F0 resource allows 20 calls per
 * minute, i.e. FACE_MAX_TPS=0.33.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/identity-quotas-limits
 */
export const faceGuardEnvSchema = z.object({
  FACE_MAX_TPS: z.coerce
    .number()
    .positive()
    .max(1000)
    .default(10)
    .describe(
      "Calls per second sent to the Face resource, all operations and all replicas together (S0: 10; F0's 20 per minute: 0.33), spaced evenly. Replicas on one Redis state share one quota.",
    ),
  FACE_BACKGROUND_SHARE: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(0.3)
    .describe("The share of FACE_MAX_TPS the background loop's own Face reads may use at most (above 0, up to 1); callers' calls always come first."),
  FACE_MAX_QUEUE: int(0, 10_000)
    .default(100)
    .describe("Calls that may wait for their turn to Face; beyond it a call is answered 503 at once, without calling Face."),
  FACE_MAX_WAIT_MS: int(0, 60_000)
    .default(2000)
    .describe("Longest a call waits for its turn to Face (quota or Face's Retry-After); a longer wait is answered 503 at once."),
  FACE_RETRY_MAX_ATTEMPTS: int(1, 10)
    .default(3)
    .describe("Attempts per call for operations safe to repeat (read, delete, probe); 1 disables retries. Creates are never retried."),
  FACE_BREAKER_FAILURES: int(1, 1000)
    .default(5)
    .describe("Consecutive Face failures (5xx, timeouts) that open the circuit breaker; while open, calls fail fast with 503."),
  FACE_BREAKER_COOLDOWN_MS: int(100, 600_000)
    .default(10_000)
    .describe("How long the breaker stays open before one trial call is let through."),
});

/** The guard's settings; app.ts hands them to the guard, whose FaceGuardOptions they must fit (checked structurally). */
export interface FaceGuardSettings {
  maxTps: number;
  backgroundShare: number;
  maxQueue: number;
  maxWaitMs: number;
  retry: { maxAttempts: number };
  breaker: { failureThreshold: number; cooldownMs: number };
}

export function faceGuardOptionsFromEnv(env: z.infer<typeof faceGuardEnvSchema>): FaceGuardSettings {
  return {
    maxTps: env.FACE_MAX_TPS,
    backgroundShare: env.FACE_BACKGROUND_SHARE,
    maxQueue: env.FACE_MAX_QUEUE,
    maxWaitMs: env.FACE_MAX_WAIT_MS,
    retry: { maxAttempts: env.FACE_RETRY_MAX_ATTEMPTS },
    breaker: { failureThreshold: env.FACE_BREAKER_FAILURES, cooldownMs: env.FACE_BREAKER_COOLDOWN_MS },
  };
}

export const envSchema = z.object({
  PORT: portSchema.default(3000).describe("Port the API listens on."),
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the API binds to; use 0.0.0.0 in a container."),
  LOG_LEVEL: logLevelSchema.default("info").describe("pino log level."),
  FACE_ENDPOINT: faceEndpoint
    .optional()
    .describe("Azure AI Face endpoint, e.g. https://<resource>.cognitiveservices.azure.com. Unset: the embedded emulator is started."),
  FACE_ALLOW_HTTP_HOSTS: z
    .string()
    .transform((raw) => raw.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean))
    .optional()
    .describe(
      "DEVELOPMENT ONLY. Host names FACE_ENDPOINT may reach over plain http besides loopback, comma separated: an emulator in a container network (compose: emulator). Never a real Face resource: the key would travel in clear.",
    ),
  FACE_APIKEY: z.string().min(1).optional().describe("Azure AI Face key (header Ocp-Apim-Subscription-Key). Secret."),
  FACE_API_VERSION: z.enum(["v1.2"]).default("v1.2").describe("Face API version; a path segment, not a query parameter."),
  FACE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000).describe("Timeout of one call to Face, in milliseconds."),
  DOCS_UI: z
    .enum(["on", "off"])
    .optional()
    .describe("The interactive API reference at /docs (Swagger UI, served from local files): on or off. Unset: on in emulator mode (no FACE_ENDPOINT), off otherwise."),
  FACE_EMULATOR_PORT: portSchema.default(5001).describe("Port of the embedded emulator on 127.0.0.1 when FACE_ENDPOINT is unset (0 picks a free port)."),
  API_KEYS: apiKeys
    .optional()
    .describe("Caller keys as clientId:key (or clientId:sha256:<hex>) pairs, comma separated. Secret. With a real FACE_ENDPOINT, this or API_KEYS_SECRET_NAME is required."),
  CLIENT_POLICIES: jsonOf(callerPoliciesSchema)
    .optional()
    .describe(
      'Per-client policies as JSON: {"<clientId>" or "*": {"allowedKinds": [...], "rateLimitPerMinute": n, "maxTokenTtlSeconds": n, "sessionImages": bool, "maxLiveSessions": n, "faceQuotaWeight": n}}.',
    ),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/,\s]+)$/, "expected true, false, a hop count, or comma-separated proxy addresses/CIDRs")
    .default("false")
    .transform((v) => (v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v))
    .describe("Trust X-Forwarded-* from these proxies: true (any), a hop count, or addresses/CIDRs. Default false: the socket address is the client."),
  RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200).describe("Requests per minute from one client IP, on every route."),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000).describe("Longest time to receive a whole request, body included."),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000).describe("Longest time to receive a request's headers (slowloris guard)."),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(65_000).describe("Idle keep-alive time; keep it above your load balancer's idle timeout."),
  CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000).describe("A socket idle this long is closed."),
  HTTP_MAX_REQUESTS_PER_SOCKET: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1000)
    .describe(
      "Requests one connection may carry; the last answer says Connection: close and a request pipelined past it closes the socket, so a client that pipelines and never reads cannot queue answers without end.",
    ),
  KEY_VAULT_URL: keyVaultUrl.optional().describe("Key Vault holding the secrets named by the *_SECRET_NAME variables, e.g. https://<vault>.vault.azure.net."),
  FACE_APIKEY_SECRET_NAME: secretName.optional().describe("Key Vault secret holding the Face key (instead of FACE_APIKEY)."),
  API_KEYS_SECRET_NAME: secretName.optional().describe("Key Vault secret holding the caller key list, in API_KEYS' format (instead of API_KEYS)."),
  WEBHOOK_SECRET_NAME: secretName
    .optional()
    .describe("Key Vault secret holding the webhook signing secret(s) in WEBHOOK_SECRET's format (whsec_<base64>, comma separated, newest first)."),
  WEBHOOK_SECRET: webhookSecretList
    .optional()
    .describe(
      "Webhook signing secret(s) when Key Vault is not used: Standard Webhooks whsec_<base64 of 24 to 64 random bytes>, comma separated, newest first (two while rotating). Secret. Unset with no WEBHOOK_SECRET_NAME: webhooks are off.",
    ),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .describe("DEVELOPMENT AND TESTS ONLY. true: callbackUrls may point at private and loopback addresses, over plain http for loopback. Never in production (SSRF)."),
  WEBHOOK_ALLOWED_PORTS: portList
    .default([443])
    .describe("Ports a callbackUrl may use, comma separated; default 443 only. With WEBHOOK_ALLOW_PRIVATE_TARGETS=true, loopback and private receivers may use any port."),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(20_000)
    .default(10_000)
    .describe("Timeout of one webhook attempt, in milliseconds. At most 20 s: an attempt's claim outlasts it by 5 s, and a replica that dies mid-attempt has it retried by another within 30 s."),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8).describe("Webhook attempts in flight at once, per instance."),
  WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(4)
    .describe(
      "Webhook attempts one client (API key) may have in flight at once, over every replica sharing the state. Clients are served round-robin, so a client whose receiver hangs holds this many slots and no more. Keep it below WEBHOOK_CONCURRENCY.",
    ),
  KEY_VAULT_REFRESH_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300).describe("How often Key Vault secrets are re-read, in seconds."),
  AZURE_CLIENT_ID: z
    .string()
    .min(1)
    .optional()
    .describe("Client id of a user-assigned managed identity (or of the service principal / workload identity) for Entra ID."),
  ...faceGuardEnvSchema.shape,
  ADMIN_API_KEYS: apiKeys
    .optional()
    .describe("Operator keys for the /admin routes (header x-admin-key), as operatorId:key (or operatorId:sha256:<hex>) pairs. Secret. Unset: /admin answers 404."),
  LOCKOUT_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5).describe("Declined or spoof outcomes per subject or device within LOCKOUT_WINDOW_SECONDS that lock it out."),
  LOCKOUT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(180).describe("The window, in seconds, in which LOCKOUT_MAX_FAILURES failures lock a subject or device out."),
  LOCKOUT_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(604_800).default(1800).describe("How long a lockout lasts, in seconds; new sessions for it get 429 meanwhile."),
  DELETE_AFTER_DECISION: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true")
    .describe("Delete a session at Face once its decision is settled and the caller has it (read it, or got the webhook); it stays readable here."),
  SESSION_IMAGE_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(2_592_000)
    .default(86_400)
    .describe("How long a session image (enableSessionImage) is kept here once the session is deleted at Face; 0 keeps none."),
  SESSION_IMAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1_099_511_627_776)
    .default(268_435_456)
    .describe(
      "The most bytes of retained session images kept at once: per replica in memory, for the whole deployment on Redis. When full, a new image is not kept (its GET answers 410 LSO_ERR_SESSION_IMAGE_NOT_RETAINED) and the images already kept stay until their retention ends.",
    ),
  SESSION_MAX_LIVE_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1000)
    .describe(
      "Live (unsettled, token not lapsed) sessions one client may hold at once, across every replica; a create past it answers 429 LSO_ERR_TOO_MANY_LIVE_SESSIONS before Face is called. A client's policy (maxLiveSessions) overrides it.",
    ),
  SESSION_WATCH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .refine((v) => v === 0 || (v >= 100 && v <= 600_000), "must be 0 (off) or 100 to 600000")
    .default(5000)
    .describe(
      "Background watcher, for sessions with a callbackUrl only: the base ms between its Face reads, doubling while nothing changes up to a quarter of the token's lifetime; 0 turns it off.",
    ),
  SESSION_WATCH_FIRST_POLL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(15_000)
    .describe("Background watcher: ms from a session's creation to its first Face read, the least time a person needs to finish the check on the device."),
  SESSION_WATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2).describe("Face reads the background watcher may have in flight at once."),
  CONSOLE: z
    .enum(["on", "off"])
    .optional()
    .describe(
      "The browser console at /console (session explorer; in emulator mode also the device simulator): on or off. Unset: on in emulator mode (no FACE_ENDPOINT), off otherwise.",
    ),
  CONSENT_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31_536_000)
    .default(86_400)
    .describe("The oldest consent evidence a create accepts: consent.consentedAt may be at most this many seconds in the past."),
  ERASURE_RECEIPT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(365)
    .describe("How long an erasure receipt (DELETE /v1/subjects/{subject}: when, by which client, how many records; no subject) is kept."),
  SESSION_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(60_000)
    .describe(
      "How long a failed Face deletion (or a failed settle of a lapsed session) waits to be retried. The background loop looks for due work every second, or this often when shorter.",
    ),
  METRICS: z
    .enum(["on", "off"])
    .optional()
    .describe(
      "Prometheus metrics at GET /metrics: on or off. Unset: on in emulator mode (no FACE_ENDPOINT); otherwise on only when METRICS_PORT or METRICS_TOKEN is set.",
    ),
  METRICS_PORT: portSchema
    .optional()
    .describe("Serve /metrics on this separate port (on HOST) and not on the API's port; for a scraper inside the network only. 0 picks a free port."),
  METRICS_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters")
    .optional()
    .describe("Bearer token /metrics requires (Authorization: Bearer <token>), on whichever port it is served. Secret."),
  SHUTDOWN_DRAIN_DELAY_MS: int(0, 600_000)
    .default(5000)
    .describe(
      "On SIGTERM: how long the server keeps serving while /readyz already says notReady, so load balancers stop sending before it stops accepting. SIGINT skips it.",
    ),
  SHUTDOWN_TIMEOUT_MS: int(1000, 3_600_000)
    .default(25_000)
    .describe("Longest a shutdown may take, drain delay included; past it the process exits 1. Keep it below the platform's grace period (Kubernetes: 30 s)."),
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
}).refine(plainHttpAllowed, {
  path: ["FACE_ENDPOINT"],
  message: "must use https; plain http is allowed only for a loopback emulator (localhost, 127.0.0.0/8, [::1]) or a host in FACE_ALLOW_HTTP_HOSTS",
  // Also when other variables are wrong, so startup names every problem at once; not when these two are.
  when: ({ issues }) => !issues.some((issue) => issue.path?.[0] === "FACE_ENDPOINT" || issue.path?.[0] === "FACE_ALLOW_HTTP_HOSTS"),
});

function plainHttpAllowed(env: { FACE_ENDPOINT?: string | undefined; FACE_ALLOW_HTTP_HOSTS?: string[] | undefined }): boolean {
  if (!env.FACE_ENDPOINT?.startsWith("http://")) return true;
  const host = new URL(env.FACE_ENDPOINT).hostname;
  return isLoopbackHost(host) || (env.FACE_ALLOW_HTTP_HOSTS ?? []).includes(host);
}

export type EnvInput = Record<string, string | undefined>;

/** What a memory state costs in production: the message that makes STATE_BACKEND=memory a deliberate choice. */
export const MEMORY_STATE_COST =
  "a restart loses live sessions, idempotent replays, lockouts and undelivered webhooks, and only one replica may run";
export type { ApiKeyEntry };

/**
 * How the Face client authenticates: a key from the environment, a key from Key Vault, or Entra ID (keyless).
 * @see https://learn.microsoft.com/azure/ai-services/authentication
 */
export type FaceAuthMode = "key" | "keyVault" | "entraId";

export interface AppConfig {
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
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
  /**
   * Where state lives (STATE_BACKEND and friends). For Redis, `url` and `encryptionKeys` are unset when they come
   * from Key Vault (keyVault.secrets.redisUrl / stateEncryptionKey).
   */
  state: {
    backend: "memory" | "redis";
    /** True when STATE_BACKEND was set, rather than inferred. */
    explicit: boolean;
    redis?: { url?: string; keyPrefix: string };
    encryptionKeys: Buffer[];
  };
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

type ParsedEnv = z.infer<typeof envSchema>;

const redisConfigured = (e: ParsedEnv) => Boolean(e.REDIS_URL || e.REDIS_URL_SECRET_NAME);
const stateBackendOf = (e: ParsedEnv) => e.STATE_BACKEND ?? (redisConfigured(e) ? "redis" : "memory");

function stateSettings(e: ParsedEnv): AppConfig["state"] {
  const backend = stateBackendOf(e);
  const state: AppConfig["state"] = { backend, explicit: e.STATE_BACKEND !== undefined, encryptionKeys: [] };
  if (backend === "redis") {
    state.redis = { keyPrefix: e.REDIS_KEY_PREFIX, ...(e.REDIS_URL && { url: e.REDIS_URL }) };
    state.encryptionKeys = e.STATE_ENCRYPTION_KEY ?? [];
  }
  return state;
}

/** The state backend's rules: Redis needs a URL and a key; a real Face endpoint needs Redis or an explicit memory. */
function stateProblems(e: ParsedEnv): string[] {
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

const keyIdentity = (entry: ApiKeyEntry): string => ("key" in entry ? hashApiKey(entry.key).toString("hex") : entry.sha256);

/** Combinations that are each valid alone but not together; every message names the variable to fix. */
function crossFieldProblems(e: ParsedEnv): string[] {
  const problems: string[] = [];
  const secretNames = (
    ["FACE_APIKEY_SECRET_NAME", "API_KEYS_SECRET_NAME", "WEBHOOK_SECRET_NAME", "REDIS_URL_SECRET_NAME", "STATE_ENCRYPTION_KEY_SECRET_NAME"] as const
  ).filter((n) => e[n]);
  for (const name of secretNames) {
    if (!e.KEY_VAULT_URL) problems.push(`${name}: needs KEY_VAULT_URL, the vault to read it from`);
  }
  if (e.KEY_VAULT_URL && secretNames.length === 0) {
    problems.push("KEY_VAULT_URL: set, but no *_SECRET_NAME variable (FACE_APIKEY_SECRET_NAME, API_KEYS_SECRET_NAME, WEBHOOK_SECRET_NAME, …) says what to read");
  }
  if (e.FACE_APIKEY && e.FACE_APIKEY_SECRET_NAME) {
    problems.push("FACE_APIKEY: set together with FACE_APIKEY_SECRET_NAME; choose one source for the Face key");
  }
  if (e.WEBHOOK_SECRET && e.WEBHOOK_SECRET_NAME) {
    problems.push("WEBHOOK_SECRET: set together with WEBHOOK_SECRET_NAME; choose one source for the webhook signing secrets");
  }
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
    problems.push("HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS (Node requires it)");
  }
  if (e.API_KEYS && e.API_KEYS_SECRET_NAME) {
    problems.push("API_KEYS: set together with API_KEYS_SECRET_NAME; choose one source for caller keys");
  }
  // A key in both lists would let a tenant open /admin (or an operator act as a tenant).
  const tenantKeys = new Set((e.API_KEYS ?? []).map(keyIdentity));
  if ((e.ADMIN_API_KEYS ?? []).some((entry) => tenantKeys.has(keyIdentity(entry)))) {
    problems.push("ADMIN_API_KEYS: a key is also listed in API_KEYS; operator and tenant keys must differ");
  }
  if (e.FACE_ENDPOINT && !e.API_KEYS && !e.API_KEYS_SECRET_NAME) {
    problems.push("API_KEYS: required when FACE_ENDPOINT points at a real Face resource (or set API_KEYS_SECRET_NAME to read them from Key Vault)");
  }
  for (const name of ["METRICS_PORT", "METRICS_TOKEN"] as const) {
    if (e.METRICS === "off" && e[name] !== undefined) problems.push(`${name}: set while METRICS=off; unset it or turn metrics on`);
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push("METRICS_PORT: must differ from PORT (the point is to keep /metrics off the API's port)");
  }
  if (e.SHUTDOWN_DRAIN_DELAY_MS + e.WEBHOOK_TIMEOUT_MS >= e.SHUTDOWN_TIMEOUT_MS) {
    problems.push(
      "SHUTDOWN_TIMEOUT_MS: must exceed SHUTDOWN_DRAIN_DELAY_MS + WEBHOOK_TIMEOUT_MS, so a webhook attempt under way when the drain ends may finish",
    );
  }
  const entraId = e.FACE_ENDPOINT && !e.FACE_APIKEY && !e.FACE_APIKEY_SECRET_NAME;
  if (entraId && !e.FACE_ENDPOINT!.startsWith("https://")) {
    problems.push("FACE_ENDPOINT: Entra ID (keyless) authentication needs https; set FACE_APIKEY to use a plain-http loopback emulator");
  }
  problems.push(...stateProblems(e));
  return problems;
}
