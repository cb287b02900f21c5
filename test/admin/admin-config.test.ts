/** ADMIN_API_KEYS and the LOCKOUT_* variables: defaults, bounds, and keys that must not overlap tenant keys. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { hashApiKey } from "../../src/lib/api-key-list.js";
import { configProblems } from "../helpers/config-problems.js";

const TENANT = "acme:acme-key-0123456789abcdef";

const problemsOf = (env: Record<string, string>): string => configProblems(env).join("\n");

describe("admin and lockout configuration", () => {
  it("when nothing is set, then /admin is disabled and the budget is 5 failures in 180 s, then 1800 s locked", () => {
    const config = loadConfig({});
    expect(config.adminApiKeys).toEqual([]);
    expect(config.lockout).toEqual({ maxFailures: 5, windowMs: 180_000, cooldownMs: 1_800_000 });
  });

  it("when the LOCKOUT_* variables are set, then they are used, in milliseconds", () => {
    const config = loadConfig({ LOCKOUT_MAX_FAILURES: "3", LOCKOUT_WINDOW_SECONDS: "60", LOCKOUT_COOLDOWN_SECONDS: "600" });
    expect(config.lockout).toEqual({ maxFailures: 3, windowMs: 60_000, cooldownMs: 600_000 });
  });

  it.each(["LOCKOUT_MAX_FAILURES", "LOCKOUT_WINDOW_SECONDS", "LOCKOUT_COOLDOWN_SECONDS"])("when %s is 0 or not a number, then startup names it", (name) => {
    expect(problemsOf({ [name]: "0" })).toMatch(new RegExp(`^${name}: `, "m"));
    expect(problemsOf({ [name]: "soon" })).toMatch(new RegExp(`^${name}: `, "m"));
  });

  it("when ADMIN_API_KEYS is set, then it is parsed like API_KEYS, and a bad entry is named without its key", () => {
    expect(loadConfig({ ADMIN_API_KEYS: "ops:ops-admin-key-0123456789" }).adminApiKeys).toEqual([{ clientId: "ops", key: "ops-admin-key-0123456789" }]);
    const problems = problemsOf({ ADMIN_API_KEYS: "ops:short" });
    expect(problems).toMatch(/^ADMIN_API_KEYS: entry 1 \(ops\): the key must be at least 16/m);
    expect(problems).not.toContain("short,");
  });

  it("when an admin key is also a tenant key (in clear or as its hash), then startup fails naming ADMIN_API_KEYS", () => {
    expect(problemsOf({ API_KEYS: TENANT, ADMIN_API_KEYS: "ops:acme-key-0123456789abcdef" })).toMatch(/^ADMIN_API_KEYS: a key is also listed in API_KEYS/m);
    const hash = hashApiKey("acme-key-0123456789abcdef").toString("hex");
    expect(problemsOf({ API_KEYS: TENANT, ADMIN_API_KEYS: `ops:sha256:${hash}` })).toMatch(/^ADMIN_API_KEYS: a key is also listed/m);
  });
});
