/**
 * Turns Key Vault and Entra ID failures into messages an operator can act on, naming the vault, the secret and the
 * variable to fix. Also says which failures are worth retrying: a missing secret or permission never heals by waiting.
 */
export interface SecretRef {
  /** The secret's name in the vault. */
  name: string;
  /** The environment variable that named it, so the message says what to fix. */
  variable: string;
}

export interface KeyVaultFailure {
  message: string;
  retryable: boolean;
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "REQUEST_SEND_ERROR"]);
const IDENTITY_ERRORS = new Set(["CredentialUnavailableError", "AuthenticationError", "AggregateAuthenticationError"]);

function field(error: unknown, key: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

export function describeKeyVaultFailure(error: unknown, vaultUrl: string, secret: SecretRef): KeyVaultFailure {
  const status = field(error, "statusCode");
  const code = String(field(error, "code") ?? "");
  const name = String(field(error, "name") ?? "");
  const what = `secret "${secret.name}" (${secret.variable}) in Key Vault ${vaultUrl}`;

  if (status === 404) return { message: `${what} does not exist: check ${secret.variable} and that the secret is not deleted`, retryable: false };
  if (status === 403) {
    return {
      message: `the identity may not read ${what}: grant it the "Key Vault Secrets User" role on the vault (or a get-secret access policy), and check the vault's network rules`,
      retryable: false,
    };
  }
  if (status === 401) return { message: `Key Vault ${vaultUrl} refused the identity's token while reading ${what}: check AZURE_TENANT_ID / AZURE_CLIENT_ID`, retryable: false };
  if (IDENTITY_ERRORS.has(name)) {
    return {
      message: `no Entra ID token for Key Vault ${vaultUrl} (needed for ${what}): configure a managed identity, workload identity or service principal (see docs/credentials.md)`,
      retryable: false,
    };
  }
  if (/challenge resource|does not match the requested domain/i.test(String(field(error, "message") ?? ""))) {
    return { message: `KEY_VAULT_URL ${vaultUrl} is not a Key Vault endpoint (expected https://<vault>.vault.azure.net)`, retryable: false };
  }
  if (DNS_CODES.has(code)) {
    return { message: `the host of Key Vault ${vaultUrl} cannot be resolved while reading ${what}: check KEY_VAULT_URL`, retryable: true };
  }
  if (NETWORK_CODES.has(code)) return { message: `Key Vault ${vaultUrl} is unreachable (${code}) while reading ${what}`, retryable: true };
  if (typeof status === "number" && (status === 429 || status >= 500)) {
    return { message: `Key Vault ${vaultUrl} answered ${status} while reading ${what}`, retryable: true };
  }
  return { message: `reading ${what} failed (${name || "error"}${code ? ` ${code}` : ""}${typeof status === "number" ? ` ${status}` : ""})`, retryable: true };
}

export class KeyVaultError extends Error {
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = "KeyVaultError";
  }

  static from(failure: KeyVaultFailure): KeyVaultError {
    return new KeyVaultError(failure.message, failure.retryable);
  }
}
