/** WEBHOOK_* variables: parsed once, with startup errors that name the variable and never echo a secret. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { configProblems } from "../helpers/config-problems.js";
import { SECRET_NEW, SECRET_OLD } from "./webhook-kit.js";

const problemsOf = configProblems;

const whsec = (bytes: number, fill = 1) => `whsec_${Buffer.alloc(bytes, fill).toString("base64")}`;

describe("webhook configuration", () => {
  it("when nothing is set, then webhooks are off, private targets refused, port 443 only, 10 s timeout, 8 in flight", () => {
    expect(loadConfig({}).webhooks).toEqual({ secrets: [], allowPrivateTargets: false, allowedPorts: [443], timeoutMs: 10_000, concurrency: 8, maxInFlightPerClient: 4 });
  });

  it("when WEBHOOK_ALLOWED_PORTS lists ports, then each is kept once, as a number", () => {
    expect(loadConfig({ WEBHOOK_ALLOWED_PORTS: " 443, 8443 ,443" }).webhooks.allowedPorts).toEqual([443, 8443]);
  });

  it.each(["0", "65536", "https", "443;8443", ",", "-1", "44.3"])("when WEBHOOK_ALLOWED_PORTS is %j, then startup names the variable", (value) => {
    expect(problemsOf({ WEBHOOK_ALLOWED_PORTS: value })).toEqual([expect.stringMatching(/^WEBHOOK_ALLOWED_PORTS: .*TCP ports/)]);
  });

  it("when WEBHOOK_SECRET lists two whsec_ secrets, then both are kept as given, newest first", () => {
    const config = loadConfig({ WEBHOOK_SECRET: ` ${SECRET_NEW} , ${SECRET_OLD} `, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" });
    expect(config.webhooks).toMatchObject({ secrets: [SECRET_NEW, SECRET_OLD], allowPrivateTargets: true });
  });

  it("when a key is 24 or 64 bytes, then it is accepted (the Standard Webhooks range)", () => {
    expect(loadConfig({ WEBHOOK_SECRET: `${whsec(24)},${whsec(64, 2)}` }).webhooks.secrets).toEqual([whsec(24), whsec(64, 2)]);
  });

  it.each([
    ["a plain secret", "a-plain-secret-of-enough-length-0123456789", /^WEBHOOK_SECRET: entry 1: expected whsec_ followed by the base64 of 24 to 64 random bytes/],
    ["base64url", `whsec_${Buffer.alloc(32, 0xfb).toString("base64url")}`, /^WEBHOOK_SECRET: entry 1: the part after whsec_ is not standard padded base64/],
    ["missing padding", whsec(32).replace(/=+$/, ""), /^WEBHOOK_SECRET: entry 1: the part after whsec_ is not standard padded base64/],
    ["non-zero spare bits", `${whsec(32).slice(0, -2)}B=`, /^WEBHOOK_SECRET: entry 1: the part after whsec_ is not standard padded base64/],
    ["a 23-byte key", whsec(23), /^WEBHOOK_SECRET: entry 1: the key is 23 bytes; it must be 24 to 64$/],
    ["a 65-byte key", whsec(65), /^WEBHOOK_SECRET: entry 1: the key is 65 bytes; it must be 24 to 64$/],
    ["an empty key", "whsec_", /^WEBHOOK_SECRET: entry 1: the key is 0 bytes/],
    ["the same secret twice", `${SECRET_NEW},${SECRET_NEW}`, /^WEBHOOK_SECRET: entry 2: the same secret is listed twice$/],
    ["only commas", ",,", /^WEBHOOK_SECRET: no secret$/],
  ])("when WEBHOOK_SECRET is %s, then startup names the variable and the entry, not the value", (_name, value, message) => {
    const problems = problemsOf({ WEBHOOK_SECRET: value });
    expect(problems).toEqual([expect.stringMatching(message)]);
    // No run of secret-like characters long enough to be (part of) a value.
    expect(problems.join("\n")).not.toMatch(/[A-Za-z0-9+/_-]{20,}/);
  });

  it("when the second of two secrets is malformed, then startup names entry 2 only", () => {
    expect(problemsOf({ WEBHOOK_SECRET: `${SECRET_NEW},whsec_not base64!` })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: entry 2: /)]);
  });

  it("when the flag is not a boolean, the timeout is tiny, or both secret sources are set, then startup names the variable", () => {
    expect(problemsOf({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "yes" })).toEqual([expect.stringMatching(/^WEBHOOK_ALLOW_PRIVATE_TARGETS: /)]);
    expect(problemsOf({ WEBHOOK_TIMEOUT_MS: "5" })).toEqual([expect.stringMatching(/^WEBHOOK_TIMEOUT_MS: /)]);
    const both = { WEBHOOK_SECRET: SECRET_NEW, WEBHOOK_SECRET_NAME: "hooks", KEY_VAULT_URL: "https://v.vault.azure.net" };
    expect(problemsOf(both)).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: set together with WEBHOOK_SECRET_NAME/)]);
  });
});
