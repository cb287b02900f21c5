/** The state backend's variables: which backend runs, and every combination that must stop the start. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { configProblems } from "./helpers/config-problems.js";

const KEY = randomBytes(32).toString("base64");
const OLD_KEY = randomBytes(32).toString("base64");
const PASSWORD = "hunter2-redis-password";
const REDIS_URL = `rediss://:${PASSWORD}@lso.redis.cache.windows.net:6380`;
const FACE = { FACE_ENDPOINT: "https://my-face.cognitiveservices.azure.com", FACE_APIKEY: "face-key-0123456789", API_KEYS: "acme:acme-key-0123456789abcdef" };
const VAULT = "https://my-vault.vault.azure.net";

const problemsOf = configProblems;

describe("which state backend runs", () => {
  it("when nothing is set (emulator mode), then the state is in memory", () => {
    expect(loadConfig({}).state).toEqual({ backend: "memory", explicit: false, encryptionKeys: [] });
  });

  it("when REDIS_URL and a key ring are set, then Redis is the default, with the default prefix and the keys newest first", () => {
    const { state } = loadConfig({ ...FACE, REDIS_URL, STATE_ENCRYPTION_KEY: `${KEY},${OLD_KEY}` });
    expect(state.backend).toBe("redis");
    expect(state.explicit).toBe(false);
    expect(state.redis).toEqual({ url: REDIS_URL, keyPrefix: "lso:" });
    expect(state.encryptionKeys.map((k) => k.toString("base64"))).toEqual([KEY, OLD_KEY]);
  });

  it("when the URL and the keys come from Key Vault, then the backend is Redis and both secret names are kept", () => {
    const config = loadConfig({ ...FACE, KEY_VAULT_URL: VAULT, REDIS_URL_SECRET_NAME: "redis-url", STATE_ENCRYPTION_KEY_SECRET_NAME: "state-key", REDIS_KEY_PREFIX: "prod:" });
    expect(config.state).toEqual({ backend: "redis", explicit: false, redis: { keyPrefix: "prod:" }, encryptionKeys: [] });
    expect(config.keyVault?.secrets).toEqual({ redisUrl: "redis-url", stateEncryptionKey: "state-key" });
  });

  it("when a real FACE_ENDPOINT runs with STATE_BACKEND=memory set explicitly, then it starts on memory", () => {
    expect(loadConfig({ ...FACE, STATE_BACKEND: "memory" }).state).toEqual({ backend: "memory", explicit: true, encryptionKeys: [] });
  });

  it("when the emulator runs on Redis, then STATE_BACKEND=redis with a URL and key is accepted", () => {
    expect(loadConfig({ STATE_BACKEND: "redis", REDIS_URL: "redis://127.0.0.1:6379/2", STATE_ENCRYPTION_KEY: KEY }).state.backend).toBe("redis");
  });
});

describe("state settings that stop the start", () => {
  it("when a real FACE_ENDPOINT has no Redis, then startup names REDIS_URL and says what memory would cost", () => {
    const problems = problemsOf(FACE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL: required when FACE_ENDPOINT is set/);
    expect(problems[0]).toMatch(/STATE_BACKEND=memory/);
    expect(problems[0]).toMatch(/a restart loses live sessions.*undelivered webhooks.*only one replica/);
  });

  it("when Redis has no encryption key, then startup names STATE_ENCRYPTION_KEY and how to make one", () => {
    const problems = problemsOf({ ...FACE, REDIS_URL });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^STATE_ENCRYPTION_KEY: required with the Redis backend.*openssl rand -base64 32/);
  });

  it("when STATE_BACKEND=redis has no Redis URL, then startup names STATE_BACKEND and REDIS_URL", () => {
    expect(problemsOf({ STATE_BACKEND: "redis", STATE_ENCRYPTION_KEY: KEY })).toEqual([
      "STATE_BACKEND: redis needs REDIS_URL (or REDIS_URL_SECRET_NAME to read it from Key Vault)",
    ]);
  });

  it.each([
    ["a URL of another scheme", { REDIS_URL: `http://:${PASSWORD}@cache.example:6379`, STATE_ENCRYPTION_KEY: KEY }, /^REDIS_URL: must start with redis:\/\/ or rediss:\/\//],
    ["a URL that is not a URL", { REDIS_URL: `${PASSWORD}@nowhere`, STATE_ENCRYPTION_KEY: KEY }, /^REDIS_URL: expected redis:\/\//],
    ["a URL with a path", { REDIS_URL: `redis://:${PASSWORD}@cache.example/keys`, STATE_ENCRYPTION_KEY: KEY }, /^REDIS_URL: the path may only be a database number/],
    ["a short key", { REDIS_URL, STATE_ENCRYPTION_KEY: randomBytes(16).toString("base64") }, /^STATE_ENCRYPTION_KEY: key 1 is not 32 bytes of base64/],
    ["a key listed twice", { REDIS_URL, STATE_ENCRYPTION_KEY: `${KEY},${KEY}` }, /^STATE_ENCRYPTION_KEY: key 2: the same key is listed twice/],
    ["a prefix with a brace", { REDIS_URL, STATE_ENCRYPTION_KEY: KEY, REDIS_KEY_PREFIX: "{lso}" }, /^REDIS_KEY_PREFIX: may hold only/],
    ["both REDIS_URL and its secret", { KEY_VAULT_URL: VAULT, REDIS_URL, REDIS_URL_SECRET_NAME: "redis-url", STATE_ENCRYPTION_KEY: KEY }, /^REDIS_URL: set together with REDIS_URL_SECRET_NAME/],
    [
      "both STATE_ENCRYPTION_KEY and its secret",
      { KEY_VAULT_URL: VAULT, REDIS_URL, STATE_ENCRYPTION_KEY: KEY, STATE_ENCRYPTION_KEY_SECRET_NAME: "state-key" },
      /^STATE_ENCRYPTION_KEY: set together with STATE_ENCRYPTION_KEY_SECRET_NAME/,
    ],
    ["a Redis URL secret without a vault", { REDIS_URL_SECRET_NAME: "redis-url", STATE_ENCRYPTION_KEY: KEY }, /^REDIS_URL_SECRET_NAME: needs KEY_VAULT_URL/],
    ["a key secret without a vault", { REDIS_URL, STATE_ENCRYPTION_KEY_SECRET_NAME: "state-key" }, /^STATE_ENCRYPTION_KEY_SECRET_NAME: needs KEY_VAULT_URL/],
    ["STATE_BACKEND=memory beside a Redis URL", { STATE_BACKEND: "memory", REDIS_URL }, /^STATE_BACKEND: memory, but REDIS_URL is set/],
    ["an unknown backend", { STATE_BACKEND: "postgres" }, /^STATE_BACKEND: /],
  ])("when there is %s, then startup names the variable", (_name, env, message) => {
    expect(problemsOf(env).join("\n")).toMatch(message);
  });

  it("when REDIS_URL or STATE_ENCRYPTION_KEY is refused, then no message quotes the password or the key", () => {
    const badKey = `${KEY.slice(0, 20)}!!${KEY.slice(22)}`;
    const problems = [
      ...problemsOf({ REDIS_URL: `ftp://:${PASSWORD}@cache.example`, STATE_ENCRYPTION_KEY: badKey }),
      ...problemsOf({ REDIS_URL: `redis://:${PASSWORD}@cache.example/x?y`, STATE_ENCRYPTION_KEY: `${KEY},${badKey}` }),
      ...problemsOf({ REDIS_URL: `:${PASSWORD}`, STATE_ENCRYPTION_KEY: KEY }),
    ].join("\n");
    expect(problems).toMatch(/REDIS_URL/);
    expect(problems).toMatch(/STATE_ENCRYPTION_KEY/);
    for (const secret of [PASSWORD, KEY, badKey, KEY.slice(0, 20)]) expect(problems).not.toContain(secret);
  });
});
