/** The schema of every environment variable the API reads, each described; loadConfig (config.ts) parses with it. */
import { z } from "zod";
import { callerPoliciesSchema } from "../lib/caller-policy.js";
import { jsonOf, logLevelSchema, portSchema } from "../lib/env.js";
import { isLoopbackHost } from "../lib/loopback-host.js";
import { apiKeys, faceEndpoint, int, keyVaultUrl, portList, secretName, webhookSecretList } from "./config-fields.js";
import { faceGuardEnvSchema } from "./config-face-guard.js";
import { stateEnvShape } from "./config-state.js";

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
  FACE_TIMEOUT_MS: int(100, 120_000).default(10_000).describe("Timeout of one call to Face, in milliseconds."),
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
  RATE_LIMIT_PER_IP_PER_MINUTE: int(1, 1_000_000).default(1200).describe("Requests per minute from one client IP, on every route."),
  REQUEST_TIMEOUT_MS: int(1000, 600_000).default(30_000).describe("Longest time to receive a whole request, body included."),
  HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000).describe("Longest time to receive a request's headers (slowloris guard)."),
  KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000).default(65_000).describe("Idle keep-alive time; keep it above your load balancer's idle timeout."),
  CONNECTION_TIMEOUT_MS: int(1000, 3_600_000).default(120_000).describe("A socket idle this long is closed."),
  HTTP_MAX_REQUESTS_PER_SOCKET: int(1, 1_000_000)
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
  WEBHOOK_TIMEOUT_MS: int(100, 20_000)
    .default(10_000)
    .describe("Timeout of one webhook attempt, in milliseconds. At most 20 s: an attempt's claim outlasts it by 5 s, and a replica that dies mid-attempt has it retried by another within 30 s."),
  WEBHOOK_CONCURRENCY: int(1, 256).default(8).describe("Webhook attempts in flight at once, per instance."),
  WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT: int(1, 256)
    .default(4)
    .describe(
      "Webhook attempts one client (API key) may have in flight at once, over every replica sharing the state. Clients are served round-robin, so a client whose receiver hangs holds this many slots and no more. Keep it below WEBHOOK_CONCURRENCY.",
    ),
  KEY_VAULT_REFRESH_SECONDS: int(1, 86_400).default(300).describe("How often Key Vault secrets are re-read, in seconds."),
  AZURE_CLIENT_ID: z
    .string()
    .min(1)
    .optional()
    .describe("Client id of a user-assigned managed identity (or of the service principal / workload identity) for Entra ID."),
  ...faceGuardEnvSchema.shape,
  ADMIN_API_KEYS: apiKeys
    .optional()
    .describe("Operator keys for the /admin routes (header x-admin-key), as operatorId:key (or operatorId:sha256:<hex>) pairs. Secret. Unset: /admin answers 404."),
  LOCKOUT_MAX_FAILURES: int(1, 1000).default(5).describe("Declined or spoof outcomes per subject or device within LOCKOUT_WINDOW_SECONDS that lock it out."),
  LOCKOUT_WINDOW_SECONDS: int(1, 86_400).default(180).describe("The window, in seconds, in which LOCKOUT_MAX_FAILURES failures lock a subject or device out."),
  LOCKOUT_COOLDOWN_SECONDS: int(1, 604_800).default(1800).describe("How long a lockout lasts, in seconds; new sessions for it get 429 meanwhile."),
  DELETE_AFTER_DECISION: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true")
    .describe("Delete a session at Face once its decision is settled and the caller has it (read it, or got the webhook); it stays readable here."),
  SESSION_IMAGE_RETENTION_SECONDS: int(0, 2_592_000)
    .default(86_400)
    .describe("How long a session image (enableSessionImage) is kept here once the session is deleted at Face; 0 keeps none."),
  SESSION_IMAGE_MAX_BYTES: int(1024, 1_099_511_627_776)
    .default(268_435_456)
    .describe(
      "The most bytes of retained session images kept at once: per replica in memory, for the whole deployment on Redis. When full, a new image is not kept (its GET answers 410 LSO_ERR_SESSION_IMAGE_NOT_RETAINED) and the images already kept stay until their retention ends.",
    ),
  SESSION_MAX_LIVE_PER_CLIENT: int(1, 1_000_000)
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
  SESSION_WATCH_FIRST_POLL_MS: int(0, 600_000)
    .default(15_000)
    .describe("Background watcher: ms from a session's creation to its first Face read, the least time a person needs to finish the check on the device."),
  SESSION_WATCH_CONCURRENCY: int(1, 64).default(2).describe("Face reads the background watcher may have in flight at once."),
  CONSOLE: z
    .enum(["on", "off"])
    .optional()
    .describe(
      "The browser console at /console (session explorer; in emulator mode also the device simulator): on or off. Unset: on in emulator mode (no FACE_ENDPOINT), off otherwise.",
    ),
  CONSENT_MAX_AGE_SECONDS: int(60, 31_536_000)
    .default(86_400)
    .describe("The oldest consent evidence a create accepts: consent.consentedAt may be at most this many seconds in the past."),
  ERASURE_RECEIPT_RETENTION_DAYS: int(1, 3650)
    .default(365)
    .describe("How long an erasure receipt (DELETE /v1/subjects/{subject}: when, by which client, how many records; no subject) is kept."),
  SESSION_SWEEP_INTERVAL_MS: int(100, 3_600_000)
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
  ...stateEnvShape,
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

export type ParsedEnv = z.infer<typeof envSchema>;
export type EnvInput = Record<string, string | undefined>;
