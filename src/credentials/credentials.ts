/**
 * Where every credential comes from, decided once at startup: the Face credential (key, Key Vault key or Entra ID),
 * the caller key ring, the webhook signing secrets, and the state's Redis URL and encryption keys. Key Vault values are kept fresh and swapped in atomically:
 * AzureKeyCredential.update and ApiKeyRing.replace each replace one reference, so no request sees half a rotation.
 */
import { randomBytes } from "node:crypto";
import { AzureKeyCredential, type KeyCredential, type TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import type { FastifyBaseLogger } from "fastify";
import type { AppConfig, FaceAuthMode } from "../config.js";
import { systemClock, type Clock } from "../lib/clock.js";
import { PolicyBook } from "../lib/caller-policy.js";
import { ApiKeyRing } from "./api-key-ring.js";
import { parseCallerDirectory, type CallerDirectory } from "./caller-directory.js";
import { KeyVaultError, type SecretRef } from "./key-vault-errors.js";
import { KeyVaultSecrets, type SecretReader, type SecretsStatus } from "./key-vault-secrets.js";
import { parseWebhookSecretList } from "../lib/webhook-secret-list.js";
import { parseEncryptionKeyList } from "../lib/encryption-key-list.js";
import { redisUrlProblems } from "../lib/redis-url.js";

export interface CredentialsStatus {
  source: "environment" | "keyVault";
  faceAuth: FaceAuthMode;
  keyVault?: SecretsStatus;
}

export interface Credentials {
  faceAuth: FaceAuthMode;
  faceCredential: KeyCredential | TokenCredential;
  keyRing: ApiKeyRing;
  /** Per-client policies, swapped together with the keys when they come from Key Vault. */
  policies: PolicyBook;
  /** Current webhook signing secrets from Key Vault (`whsec_…`), newest first; two while rotating. Empty when none is configured. */
  webhookSecrets(): string[];
  /** After Face answered 401: re-read the Face key from Key Vault (coalesced; at most every few seconds). */
  refreshFaceKey(): Promise<boolean>;
  /** Increases each time the Face key changes, so a caller can tell whether its 401 predates a rotation. */
  faceKeyVersion(): number;
  status(): CredentialsStatus;
  /**
   * The state's secrets from Key Vault (REDIS_URL_SECRET_NAME, STATE_ENCRYPTION_KEY_SECRET_NAME), as read at
   * startup; unset when they come from the environment. The state is built from them once.
   */
  stateSecrets(): StateSecrets;
  close(): void;
}

export interface StateSecrets {
  redisUrl?: string;
  encryptionKeys?: Buffer[];
}

export interface CredentialDeps {
  logger: FastifyBaseLogger;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** Replaces DefaultAzureCredential (tests use a real ClientSecretCredential against a held token endpoint). */
  tokenCredential?: TokenCredential;
  /** Replaces the SecretClient. */
  secretReader?: SecretReader;
}

/** Entra ID scope of Azure AI services, for the Face client in keyless mode. */
export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";

function azureCredential(config: AppConfig, deps: CredentialDeps): TokenCredential {
  if (deps.tokenCredential) return deps.tokenCredential;
  // DefaultAzureCredential tries environment (service principal), workload identity, then managed identity;
  // AZURE_CLIENT_ID picks a user-assigned managed identity.
  return new DefaultAzureCredential(config.azureClientId ? { managedIdentityClientId: config.azureClientId } : {});
}

function parseDirectory(raw: string, secret: SecretRef, vaultUrl: string): CallerDirectory {
  const { directory, problems } = parseCallerDirectory(raw);
  if (problems.length) throw new KeyVaultError(`secret "${secret.name}" (${secret.variable}) in ${vaultUrl} is not a valid key list: ${problems.join("; ")}`);
  return directory;
}

/** A state secret from the vault, checked as its environment variable would be; never quoted in the message. */
function checkStateSecret(problems: string[], secret: SecretRef, vaultUrl: string, format: string): void {
  if (problems.length) throw new KeyVaultError(`secret "${secret.name}" (${secret.variable}) in ${vaultUrl} is not a valid ${format}: ${problems.join("; ")}`);
}

function parseWebhookSecrets(raw: string, secret: SecretRef, vaultUrl: string): string[] {
  const { secrets, problems } = parseWebhookSecretList(raw);
  if (problems.length) throw new KeyVaultError(`secret "${secret.name}" (${secret.variable}) in ${vaultUrl} is not a valid webhook secret list: ${problems.join("; ")}`);
  return secrets;
}

export async function loadCredentials(config: AppConfig, deps: CredentialDeps): Promise<Credentials> {
  const { logger } = deps;
  const refs: Record<"faceApiKey" | "apiKeys" | "webhook" | "redisUrl" | "stateEncryptionKey", SecretRef | undefined> = {
    faceApiKey: config.keyVault?.secrets.faceApiKey ? { name: config.keyVault.secrets.faceApiKey, variable: "FACE_APIKEY_SECRET_NAME" } : undefined,
    apiKeys: config.keyVault?.secrets.apiKeys ? { name: config.keyVault.secrets.apiKeys, variable: "API_KEYS_SECRET_NAME" } : undefined,
    webhook: config.keyVault?.secrets.webhook ? { name: config.keyVault.secrets.webhook, variable: "WEBHOOK_SECRET_NAME" } : undefined,
    redisUrl: config.keyVault?.secrets.redisUrl ? { name: config.keyVault.secrets.redisUrl, variable: "REDIS_URL_SECRET_NAME" } : undefined,
    stateEncryptionKey: config.keyVault?.secrets.stateEncryptionKey
      ? { name: config.keyVault.secrets.stateEncryptionKey, variable: "STATE_ENCRYPTION_KEY_SECRET_NAME" }
      : undefined,
  };

  let vault: KeyVaultSecrets | undefined;
  if (config.keyVault) {
    const { url } = config.keyVault;
    const reader =
      deps.secretReader ??
      // Retries are ours (bounded, with messages that name the secret); the SDK's own would multiply them.
      new SecretClient(url, azureCredential(config, deps), { retryOptions: { maxRetries: 0 } });
    vault = new KeyVaultSecrets({
      vaultUrl: url,
      secrets: Object.values(refs).filter((r): r is SecretRef => r !== undefined),
      reader,
      refreshMs: config.keyVault.refreshSeconds * 1000,
      logger,
      clock: deps.clock ?? systemClock,
      ...(deps.sleep && { sleep: deps.sleep }),
    });
    await vault.load();
  }
  const v = vault;

  // The Face credential.
  let faceCredential: KeyCredential | TokenCredential;
  let faceKeyVersion = 0;
  if (config.face.auth === "entraId") {
    faceCredential = azureCredential(config, deps);
    logger.info({ faceAuth: "entraId" }, "Face authentication: Entra ID (keyless)");
  } else if (config.face.auth === "keyVault" && v && refs.faceApiKey) {
    const key = new AzureKeyCredential(v.value(refs.faceApiKey.name));
    const name = refs.faceApiKey.name;
    v.onChange((changed, value) => {
      if (changed !== name) return;
      key.update(value);
      faceKeyVersion += 1;
    });
    faceCredential = key;
    logger.info({ faceAuth: "keyVault", secret: name }, "Face authentication: key from Key Vault");
  } else {
    // Emulator mode without FACE_APIKEY: the embedded emulator accepts any key, so a random one keeps both honest.
    faceCredential = new AzureKeyCredential(config.face.apiKey ?? randomBytes(24).toString("base64url"));
    logger.info({ faceAuth: "key" }, "Face authentication: key from FACE_APIKEY");
  }

  // Caller keys and policies.
  let keyRing: ApiKeyRing;
  const policies = new PolicyBook(config.clientPolicies);
  if (v && refs.apiKeys && config.keyVault) {
    const ref = refs.apiKeys;
    const vaultUrl = config.keyVault.url;
    const initial = parseDirectory(v.value(ref.name), ref, vaultUrl);
    keyRing = new ApiKeyRing(initial.keys);
    policies.replace({ ...config.clientPolicies, ...initial.policies });
    v.onChange((changed, value) => {
      if (changed !== ref.name) return;
      try {
        const next = parseDirectory(value, ref, vaultUrl);
        keyRing.replace(next.keys);
        policies.replace({ ...config.clientPolicies, ...next.policies });
      } catch (error) {
        // A malformed new version must not lock every caller out: keep the keys that worked.
        logger.error({ reason: (error as Error).message }, "ignoring a malformed caller key list from Key Vault");
      }
    });
  } else {
    keyRing = new ApiKeyRing(config.apiKeys);
  }

  // Webhook signing secrets, checked like the caller keys: at boot a bad value stops the server; later, it is ignored.
  let webhookSecrets: string[] = [];
  if (v && refs.webhook && config.keyVault) {
    const ref = refs.webhook;
    const vaultUrl = config.keyVault.url;
    webhookSecrets = parseWebhookSecrets(v.value(ref.name), ref, vaultUrl);
    v.onChange((changed, value) => {
      if (changed !== ref.name) return;
      try {
        webhookSecrets = parseWebhookSecrets(value, ref, vaultUrl);
      } catch (error) {
        // Signing with the last good secrets keeps receivers verifying; an empty list would stop every delivery.
        logger.error({ reason: (error as Error).message }, "ignoring a malformed webhook secret list from Key Vault");
      }
    });
  }

  // The state's secrets: read and checked at boot (a bad value stops the server, naming the secret); the state is
  // built from them once, so a new version in the vault is used from the next start on (a rolling restart).
  const stateSecrets: StateSecrets = {};
  for (const ref of [refs.redisUrl, refs.stateEncryptionKey]) {
    if (!v || !ref || !config.keyVault) continue;
    const vaultUrl = config.keyVault.url;
    const value = v.value(ref.name).trim();
    if (ref === refs.redisUrl) {
      checkStateSecret(redisUrlProblems(value), ref, vaultUrl, "Redis URL");
      stateSecrets.redisUrl = value;
    } else {
      const parsed = parseEncryptionKeyList(value);
      checkStateSecret(parsed.problems, ref, vaultUrl, "state encryption key list");
      stateSecrets.encryptionKeys = parsed.keys;
    }
    v.onChange((changed) => {
      if (changed === ref.name) logger.warn({ secretName: ref.name, variable: ref.variable }, "a new version of a state secret is in Key Vault; it is used from the next start (restart the replicas one by one)");
    });
  }

  if (v) v.start();
  return {
    faceAuth: config.face.auth,
    faceCredential,
    keyRing,
    policies,
    webhookSecrets: () => webhookSecrets,
    refreshFaceKey: async () => (v && config.face.auth === "keyVault" ? v.refreshAfterAuthFailure() : false),
    faceKeyVersion: () => faceKeyVersion,
    status: () => ({ source: v ? "keyVault" : "environment", faceAuth: config.face.auth, ...(v && { keyVault: v.status() }) }),
    stateSecrets: () => stateSecrets,
    close: () => v?.close(),
  };
}
