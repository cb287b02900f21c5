/**
 * Every environment variable the service reads, declared once with zod and described.
 * `.env.example` lists the same names (a test keeps the two in step); only src/server.ts passes `process.env` here.
 */
import { z } from "zod";
import { declaredVariables, logLevelSchema, portSchema } from "./lib/env.js";

export const DEV_CLIENT_ID = "dev";
/**
 * The one development key that works in emulator mode when API_KEYS is unset. It is public by design:
 * it only ever opens an emulator, never a real Face resource, because a real FACE_ENDPOINT requires API_KEYS.
 */
export const DEV_API_KEY = "dev-only-insecure-api-key";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

const faceEndpoint = z
  .url({ message: "expected an absolute URL such as https://<resource>.cognitiveservices.azure.com" })
  .transform((value) => new URL(value))
  .refine((url) => url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname)), {
    message: "must use https; plain http is allowed only for a loopback emulator (localhost, 127.0.0.0/8, [::1])",
  })
  .refine((url) => !url.search && !url.hash && !url.username && !url.password, {
    message: "must not carry a query, fragment or credentials",
  })
  // The SDK concatenates `${endpoint}/face/${apiVersion}`, so a trailing slash would produce `//face`.
  .transform((url) => url.toString().replace(/\/+$/, ""));

const clientId = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_API_KEY_LENGTH = 16;

/** `clientId:key` pairs, comma separated. A client may appear twice, so it can hold two keys while it rotates. */
const apiKeys = z.string().transform((raw, ctx) => {
  const entries: { clientId: string; key: string }[] = [];
  const seenKeys = new Set<string>();
  raw.split(",").map((s) => s.trim()).filter(Boolean).forEach((pair, index) => {
    const sep = pair.indexOf(":");
    const id = sep > 0 ? pair.slice(0, sep) : "";
    const key = sep > 0 ? pair.slice(sep + 1) : "";
    // Messages name the entry by position, never by value: the value holds a secret.
    if (!clientId.test(id)) {
      ctx.addIssue({ code: "custom", message: `entry ${index + 1}: expected clientId:key with a clientId of letters, digits, '.', '_' or '-' (1 to 64)` });
    } else if (key.length < MIN_API_KEY_LENGTH) {
      ctx.addIssue({ code: "custom", message: `entry ${index + 1} (${id}): the key must be at least ${MIN_API_KEY_LENGTH} characters` });
    } else if (seenKeys.has(key)) {
      ctx.addIssue({ code: "custom", message: `entry ${index + 1} (${id}): the same key is listed twice` });
    } else {
      seenKeys.add(key);
      entries.push({ clientId: id, key });
    }
  });
  if (entries.length === 0 && raw.trim()) ctx.addIssue({ code: "custom", message: "no usable clientId:key pair" });
  return entries;
});

export const envSchema = z.object({
  PORT: portSchema.default(3000).describe("Port the API listens on."),
  HOST: z.string().min(1).default("127.0.0.1").describe("Interface the API binds to; use 0.0.0.0 in a container."),
  LOG_LEVEL: logLevelSchema.default("info").describe("pino log level."),
  FACE_ENDPOINT: faceEndpoint
    .optional()
    .describe("Azure AI Face endpoint, e.g. https://<resource>.cognitiveservices.azure.com. Unset: the embedded emulator is started."),
  FACE_APIKEY: z.string().min(1).optional().describe("Azure AI Face key (header Ocp-Apim-Subscription-Key). Secret."),
  FACE_API_VERSION: z.enum(["v1.2"]).default("v1.2").describe("Face API version; a path segment, not a query parameter."),
  FACE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000).describe("Timeout of one call to Face, in milliseconds."),
  FACE_EMULATOR_PORT: portSchema.default(5001).describe("Port of the embedded emulator on 127.0.0.1 when FACE_ENDPOINT is unset (0 picks a free port)."),
  API_KEYS: apiKeys.optional().describe("Caller keys as clientId:key pairs, comma separated. Secret. Required with a real FACE_ENDPOINT."),
});

export type EnvInput = Record<string, string | undefined>;

export interface ApiKeyEntry {
  clientId: string;
  key: string;
}

export interface AppConfig {
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  face: {
    /** Unset means emulator mode: server.ts starts the emulator and points the client at it. */
    endpoint?: string;
    apiKey?: string;
    apiVersion: "v1.2";
    timeoutMs: number;
    emulatorPort: number;
  };
  apiKeys: ApiKeyEntry[];
  /** True when API_KEYS was unset in emulator mode and only DEV_API_KEY opens the API. */
  usingDevApiKey: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: EnvInput): AppConfig {
  const parsed = envSchema.safeParse(declaredVariables(Object.keys(envSchema.shape), env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.FACE_ENDPOINT && !e.API_KEYS) {
    problems.push("API_KEYS: required when FACE_ENDPOINT points at a real Face resource (clientId:key pairs, comma separated)");
  }
  if (e.FACE_ENDPOINT && !e.FACE_APIKEY) {
    problems.push("FACE_APIKEY: required when FACE_ENDPOINT is set");
  }
  if (problems.length) throw new ConfigError(problems);

  const usingDevApiKey = !e.FACE_ENDPOINT && !e.API_KEYS;
  const config: AppConfig = {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    face: { apiVersion: e.FACE_API_VERSION, timeoutMs: e.FACE_TIMEOUT_MS, emulatorPort: e.FACE_EMULATOR_PORT },
    apiKeys: usingDevApiKey ? [{ clientId: DEV_CLIENT_ID, key: DEV_API_KEY }] : (e.API_KEYS ?? []),
    usingDevApiKey,
  };
  if (e.FACE_ENDPOINT) config.face.endpoint = e.FACE_ENDPOINT;
  if (e.FACE_APIKEY) config.face.apiKey = e.FACE_APIKEY;
  return config;
}
