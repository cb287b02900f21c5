/**
 * A set of Key Vault secrets kept fresh in memory: read at boot (bounded retries, then a clear failure), re-read on
 * an interval and on demand (a Face 401), each change swapped in whole and announced to listeners.
 * When the vault is unreachable later, the last good values keep serving and `status()` says how stale they are.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import { describeKeyVaultFailure, KeyVaultError, type SecretRef } from "./key-vault-errors.js";

/** What we need of `SecretClient` (and what a test may replace). */
export interface SecretReader {
  getSecret(name: string): Promise<{ value?: string }>;
}

export interface KeyVaultSecretsOptions {
  vaultUrl: string;
  secrets: SecretRef[];
  reader: SecretReader;
  refreshMs: number;
  logger: FastifyBaseLogger;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
}

export interface SecretsStatus {
  lastRefreshAt: number;
  /** Seconds since the values were last confirmed against the vault. */
  ageSeconds: number;
  /** True once two refresh intervals passed without a successful read. */
  stale: boolean;
  lastError?: string;
  /** Re-reads since boot (interval and forced), by result: for metrics. */
  refreshes: { succeeded: number; failed: number };
}

const BOOT_ATTEMPTS = 5;
const BOOT_BACKOFF_MS = 500;
const BOOT_BACKOFF_MAX_MS = 8_000;
/**
 * Forced refreshes (after a Face 401) are spaced at least this far from the previous read: a wrong key cannot make
 * every request hit the vault, yet a 401 that follows a read by a hair still gets a fresh read, a moment later.
 */
const FORCED_REFRESH_MIN_INTERVAL_MS = 1_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class KeyVaultSecrets {
  private values = new Map<string, string>();
  private readonly listeners: ((name: string, value: string) => void)[] = [];
  private lastRefreshAt = 0;
  private lastError: string | undefined;
  private readonly refreshes = { succeeded: 0, failed: 0 };
  private inFlight: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KeyVaultSecretsOptions) {}

  /** Boot: every secret must be read, or this throws a KeyVaultError naming the vault, the secret and what to fix. */
  async load(): Promise<void> {
    const sleep = this.options.sleep ?? defaultSleep;
    for (let attempt = 1; ; attempt++) {
      try {
        this.values = await this.readAll();
        this.lastRefreshAt = this.options.clock.now();
        return;
      } catch (error) {
        const failure = error as KeyVaultError;
        if (!failure.retryable || attempt >= BOOT_ATTEMPTS) {
          throw new KeyVaultError(`${failure.message}${failure.retryable ? ` (gave up after ${attempt} attempts)` : ""}`);
        }
        const wait = Math.min(BOOT_BACKOFF_MAX_MS, BOOT_BACKOFF_MS * 2 ** (attempt - 1));
        this.options.logger.warn({ attempt, retryInMs: wait, reason: failure.message }, "Key Vault not readable yet; retrying");
        await sleep(wait);
      }
    }
  }

  value(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`secret ${name} was never loaded`);
    return value;
  }

  onChange(listener: (name: string, value: string) => void): void {
    this.listeners.push(listener);
  }

  /** Re-reads every secret; concurrent callers share one read. Resolves true when any value changed. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** For a Face 401: a fresh read, no sooner than the minimum interval after the last one; callers share it. */
  refreshAfterAuthFailure(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    const wait = this.lastRefreshAt + FORCED_REFRESH_MIN_INTERVAL_MS - this.options.clock.now();
    if (wait <= 0) return this.refresh();
    const sleep = this.options.sleep ?? defaultSleep;
    this.inFlight = sleep(wait)
      .then(() => this.refreshOnce())
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  status(): SecretsStatus {
    const ageMs = this.options.clock.now() - this.lastRefreshAt;
    const status: SecretsStatus = {
      lastRefreshAt: this.lastRefreshAt,
      ageSeconds: Math.floor(ageMs / 1000),
      stale: ageMs > 2 * this.options.refreshMs,
      refreshes: { ...this.refreshes },
    };
    if (this.lastError) status.lastError = this.lastError;
    return status;
  }

  private async refreshOnce(): Promise<boolean> {
    let next: Map<string, string>;
    try {
      next = await this.readAll();
    } catch (error) {
      this.refreshes.failed += 1;
      this.lastError = (error as KeyVaultError).message;
      this.options.logger.warn({ reason: this.lastError, staleSeconds: this.status().ageSeconds }, "Key Vault refresh failed; serving the last good values");
      return false;
    }
    this.refreshes.succeeded += 1;
    this.lastRefreshAt = this.options.clock.now();
    this.lastError = undefined;
    const changed = [...next].filter(([name, value]) => this.values.get(name) !== value);
    // Swap the whole map at once: a reader sees either every old value or every new one.
    this.values = next;
    for (const [name, value] of changed) {
      this.options.logger.info({ secret: name }, "Key Vault secret rotated");
      for (const listener of this.listeners) listener(name, value);
    }
    return changed.length > 0;
  }

  /** Reads every secret; throws a KeyVaultError (with `retryable`) for the first failure. */
  private async readAll(): Promise<Map<string, string>> {
    const { vaultUrl, secrets, reader } = this.options;
    const entries = await Promise.all(
      secrets.map(async (secret) => {
        let value: string | undefined;
        try {
          value = (await reader.getSecret(secret.name)).value;
        } catch (error) {
          throw KeyVaultError.from(describeKeyVaultFailure(error, vaultUrl, secret));
        }
        if (!value?.trim()) throw new KeyVaultError(`secret "${secret.name}" (${secret.variable}) in Key Vault ${vaultUrl} is empty`);
        return [secret.name, value.trim()] as const;
      }),
    );
    return new Map(entries);
  }
}
