/** Combinations of variables that are each valid alone but not together. */
import { hashApiKey, type ApiKeyEntry } from "../lib/api-key-list.js";
import type { ParsedEnv } from "./config-env.js";
import { stateProblems } from "./config-state.js";

const keyIdentity = (entry: ApiKeyEntry): string => ("key" in entry ? hashApiKey(entry.key).toString("hex") : entry.sha256);

/** Combinations that are each valid alone but not together; every message names the variable to fix. */
export function crossFieldProblems(e: ParsedEnv): string[] {
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
