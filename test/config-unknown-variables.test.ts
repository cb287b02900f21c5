/**
 * A misspelt variable fails startup and names the nearest known one, instead of being silently ignored.
 */
import { describe, expect, it } from "vitest";
import { envSchema, loadConfig } from "../src/config.js";
import { editDistance, nearestName, productPrefixes, unknownVariableProblems } from "../src/lib/env-unknown.js";
import { configProblems } from "./helpers/config-problems.js";

const known = Object.keys(envSchema.shape);

const problemsOf = (env: Record<string, string>, alsoKnown?: string[]) => configProblems(env, alsoKnown ? { alsoKnown } : {});

describe("unknown variables under the product's prefixes", () => {
  it.each([
    ["FACE_API_KEY", "FACE_APIKEY"],
    ["FACE_ENDPIONT", "FACE_ENDPOINT"],
    ["KEY_VAULT_URI", "KEY_VAULT_URL"],
    ["API_KEYS_SECRET", "API_KEYS_SECRET_NAME"],
    ["ADMIN_API_KEY", "ADMIN_API_KEYS"],
    ["WEBHOOK_SECRETS", "WEBHOOK_SECRET"],
    ["SESSION_WATCH_INTERVAL", "SESSION_WATCH_INTERVAL_MS"],
    ["LOCKOUT_MAX_FAILURE", "LOCKOUT_MAX_FAILURES"],
    ["RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_PER_IP_PER_MINUTE"],
    ["CLIENT_POLICY", "CLIENT_POLICIES"],
  ])("when %s is set, then startup fails naming it and suggesting %s", (typo, meant) => {
    expect(problemsOf({ [typo]: "x" })).toEqual([`${typo}: unknown variable; did you mean ${meant}?`]);
  });

  it("when an unknown variable comes with an invalid one, then both are reported", () => {
    const problems = problemsOf({ PORT: "abc", FACE_API_KEY: "k" });
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).toMatch(/^PORT: /m);
    expect(problems.join("\n")).toMatch(/^FACE_API_KEY: unknown variable; did you mean FACE_APIKEY\?$/m);
  });

  it("when the typo's value is a secret, then the message never shows it", () => {
    expect(problemsOf({ FACE_API_KEY: "very-secret-face-key-0123" }).join()).not.toContain("very-secret");
  });

  it("when an unknown variable is empty, then it counts as unset like every other", () => {
    expect(loadConfig({ FACE_API_KEY: "", WEBHOOK_SECRETS: "  " }).port).toBe(3000);
  });

  it("when variables outside the product's prefixes are set, then they are left alone", () => {
    const env = { PATH: "/usr/bin", HOME: "/root", HOSTNAME: "box", NODE_ENV: "production", PORTAL: "x", AZURE_TENANT_ID: "t", AZURE_CLIENT_SECRET: "s" };
    expect(loadConfig(env).port).toBe(3000);
  });

  it("when a desktop's SESSION_MANAGER or Kubernetes' service links for a Service named redis are set, then they are left alone", () => {
    const env = {
      SESSION_MANAGER: "local/box:@/tmp/.ICE-unix/1",
      REDIS_SERVICE_HOST: "10.0.0.7",
      REDIS_SERVICE_PORT: "6379",
      REDIS_PORT: "tcp://10.0.0.7:6379",
      REDIS_PORT_6379_TCP_ADDR: "10.0.0.7",
      FACE_API_SERVICE_PORT_HTTP: "80",
    };
    expect(loadConfig(env).port).toBe(3000);
  });

  it("when another part of the product declares the variable, then it is accepted", () => {
    expect(loadConfig({ FACE_EMULATOR_FAULTS: "[]" }, { alsoKnown: ["FACE_EMULATOR_FAULTS"] }).port).toBe(3000);
    expect(problemsOf({ FACE_EMULATOR_FAULTS: "[]" })).toEqual(["FACE_EMULATOR_FAULTS: unknown variable; did you mean FACE_EMULATOR_PORT?"]);
  });
});

describe("the prefixes, derived from the schema", () => {
  it("when read from the schema's keys, then each family gets its shared stem and AZURE_ is not claimed", () => {
    const prefixes = productPrefixes(known);
    expect(prefixes).toEqual(expect.arrayContaining(["FACE_", "KEY_VAULT_", "API_KEYS", "ADMIN_", "WEBHOOK_", "SESSION_", "LOCKOUT_", "RATE_", "CLIENT_"]));
    expect(prefixes).not.toContain("AZURE_");
    expect(prefixes).not.toContain("KEY_");
    expect(prefixes).not.toContain("API_");
  });

  it("when a family of new variables is added to a schema, then its prefix is covered without another change", () => {
    const grown = [...known, "REDIS_URL", "REDIS_KEY_PREFIX", "STATE_BACKEND", "STATE_ENCRYPTION_KEY"];
    expect(unknownVariableProblems(grown, { REDIS_URI: "redis://x", STATE_BACKENDS: "redis", REDIS_URL: "redis://y" })).toEqual([
      "REDIS_URI: unknown variable; did you mean REDIS_URL?",
      "STATE_BACKENDS: unknown variable; did you mean STATE_BACKEND?",
    ]);
  });
});

describe("editDistance and nearestName", () => {
  it.each([
    ["FACE_APIKEY", "FACE_APIKEY", 0],
    ["FACE_API_KEY", "FACE_APIKEY", 1],
    ["FACE_APIKYE", "FACE_APIKEY", 1],
    ["PORT", "HOST", 2],
    ["", "ABC", 3],
  ])("when comparing %s with %s, then the distance is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it("when two names are equally near, then the one sharing the longer start wins", () => {
    expect(nearestName("AB_X", ["ZB_X", "AB_Y"])).toBe("AB_Y");
  });
});
