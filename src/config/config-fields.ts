/** The validators of single variables that envSchema is built from (each with a message that names the fix). */
import { z } from "zod";
import { parseApiKeyList } from "../lib/api-key-list.js";
import { parseEncryptionKeyList } from "../lib/encryption-key-list.js";
import { redisUrlProblems } from "../lib/redis-url.js";
import { parseWebhookSecretList } from "../lib/webhook-secret-list.js";

export const faceEndpoint = z
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

export const apiKeys = z.string().transform((raw, ctx) => {
  const { entries, problems } = parseApiKeyList(raw);
  for (const message of problems) ctx.addIssue({ code: "custom", message });
  return entries;
});

/** Key Vault secret names: 1 to 127 letters, digits and dashes. */
export const secretName = z.string().regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault secret name (letters, digits, '-')");

/** Webhook signing secrets: Standard Webhooks `whsec_<base64>`, comma separated, newest first. */
export const webhookSecretList = z.string().transform((raw, ctx) => {
  const { secrets, problems } = parseWebhookSecretList(raw);
  for (const message of problems) ctx.addIssue({ code: "custom", message });
  return secrets;
});

/** STATE_ENCRYPTION_KEY: base64 32-byte keys, comma separated, newest first. */
export const encryptionKeyList = z.string().transform((raw, ctx) => {
  const { keys, problems } = parseEncryptionKeyList(raw);
  for (const message of problems) ctx.addIssue({ code: "custom", message });
  return keys;
});

/** REDIS_URL: checked without zod's URL messages, which could quote the value (its password). */
export const redisUrl = z.string().superRefine((raw, ctx) => {
  for (const message of redisUrlProblems(raw)) ctx.addIssue({ code: "custom", message });
});

/** The same rule as the Redis backend's key names (no braces, so the prefix cannot open a Cluster hash tag). */
export const redisKeyPrefix = z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, "may hold only letters, digits and : . _ - (1 to 64)");

/** TCP ports, comma separated: each 1 to 65535, at least one. */
export const portList = z
  .string()
  .transform((raw) => raw.split(",").map((s) => s.trim()).filter(Boolean))
  .refine((ports) => ports.length > 0 && ports.every((p) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535), {
    message: "expected TCP ports (1 to 65535), comma separated, e.g. 443,8443",
  })
  .transform((ports) => [...new Set(ports.map(Number))]);

export const keyVaultUrl = z
  .url({ message: "expected https://<vault>.vault.azure.net" })
  .refine((value) => new URL(value).protocol === "https:", { message: "must use https" })
  .transform((value) => value.replace(/\/+$/, ""));

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Kubernetes injects `<SERVICE>_PORT=tcp://<ip>:<port>` into every pod of a namespace for each Service (service
 * links): a Service named "metrics" sets METRICS_PORT. Say so, rather than only "expected number".
 */
export function serviceLinkHint(name: string, raw: string | undefined): string {
  if (!name.endsWith("_PORT") || !raw || !/^[a-z]+:\/\//.test(raw.trim())) return "";
  const service = name.slice(0, -"_PORT".length).toLowerCase();
  return ` (this looks like a Kubernetes service link for a Service named '${service}': set enableServiceLinks: false or rename the Service)`;
}
