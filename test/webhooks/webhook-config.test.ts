/** WEBHOOK_* variables: parsed once, with startup errors that name the variable. */
import { describe, expect, it } from "vitest";
import { loadConfig, type ConfigError } from "../../src/config.js";

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe("webhook configuration", () => {
  it("when nothing is set, then webhooks are off, private targets refused, 10 s timeout, 8 in flight", () => {
    expect(loadConfig({}).webhooks).toEqual({ secrets: [], allowPrivateTargets: false, timeoutMs: 10_000, concurrency: 8 });
  });

  it("when WEBHOOK_SECRET lists two secrets, then both are kept, newest first", () => {
    const config = loadConfig({ WEBHOOK_SECRET: " new-secret-0123456789 , old-secret-0123456789 ", WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" });
    expect(config.webhooks).toMatchObject({ secrets: ["new-secret-0123456789", "old-secret-0123456789"], allowPrivateTargets: true });
  });

  it("when a secret is short, the flag is not a boolean, or both secret sources are set, then startup names the variable", () => {
    expect(problemsOf({ WEBHOOK_SECRET: "short" })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: .*16 characters/)]);
    expect(problemsOf({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "yes" })).toEqual([expect.stringMatching(/^WEBHOOK_ALLOW_PRIVATE_TARGETS: /)]);
    expect(problemsOf({ WEBHOOK_TIMEOUT_MS: "5" })).toEqual([expect.stringMatching(/^WEBHOOK_TIMEOUT_MS: /)]);
    const both = { WEBHOOK_SECRET: "new-secret-0123456789", WEBHOOK_SECRET_NAME: "hooks", KEY_VAULT_URL: "https://v.vault.azure.net" };
    expect(problemsOf(both)).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: set together with WEBHOOK_SECRET_NAME/)]);
  });
});
