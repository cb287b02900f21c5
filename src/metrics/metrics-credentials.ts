/**
 * Key Vault: refreshes by result and how old the values in use are (stale once two refresh intervals pass without
 * a successful read). Registered only when the credentials come from Key Vault.
 */
import { Gauge, type Registry } from "prom-client";
import type { SecretsStatus } from "../credentials/key-vault-secrets.js";
import { mirroredCounter } from "./metrics-registry.js";

export function collectKeyVaultMetrics(registry: Registry, status: () => SecretsStatus): void {
  mirroredCounter(
    registry,
    { name: "lso_key_vault_refreshes_total", help: "Key Vault re-reads since start (interval and after a Face 401), by result.", labelNames: ["result"] },
    () => {
      const { refreshes } = status();
      return [
        [{ result: "ok" }, refreshes.succeeded],
        [{ result: "failed" }, refreshes.failed],
      ];
    },
  );
  new Gauge({
    name: "lso_key_vault_secrets_age_seconds",
    help: "Seconds since the Key Vault values in use were last confirmed against the vault.",
    registers: [registry],
    collect() {
      this.set(status().ageSeconds);
    },
  });
  new Gauge({
    name: "lso_key_vault_stale",
    help: "1 when Key Vault has not answered for two refresh intervals and the last good values are in use.",
    registers: [registry],
    collect() {
      this.set(status().stale ? 1 : 0);
    },
  });
}
