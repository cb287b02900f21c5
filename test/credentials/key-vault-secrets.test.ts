/**
 * Key Vault through the real SecretClient and DefaultAzureCredential (service principal from the environment),
 * against nock's Key Vault and Entra ID: the challenge flow, the token cache, rotation, and every boot failure.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { loadCredentials } from "../../src/credentials/credentials.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { CapturedLogs } from "../helpers/app-harness.js";
import { CLIENT_SECRET, fakeLogin, fakeVault, useServicePrincipalEnv, VAULT } from "./azure-fakes.js";

const FACE_KEY_1 = "face-key-one-0123456789abcdef";
const FACE_KEY_2 = "face-key-two-0123456789abcdef";
const CALLER_KEY_1 = "caller-key-one-0123456789abcdef";
const CALLER_KEY_2 = "caller-key-two-0123456789abcdef";
const WEBHOOK_1 = `whsec_${Buffer.from("webhook-key-one-0123456789abcdef").toString("base64")}`;
const WEBHOOK_2 = `whsec_${Buffer.from("webhook-key-two-0123456789abcdef").toString("base64")}`;

const env = {
  STATE_BACKEND: "memory",
  FACE_ENDPOINT: "https://lso-face.cognitiveservices.azure.com",
  KEY_VAULT_URL: VAULT,
  FACE_APIKEY_SECRET_NAME: "face-key",
  API_KEYS_SECRET_NAME: "caller-keys",
  WEBHOOK_SECRET_NAME: "webhook-secret",
  KEY_VAULT_REFRESH_SECONDS: "60",
};

let restoreEnv: () => void;
let logs: CapturedLogs;
const noSleep = async () => {};

beforeAll(() => {
  nock.disableNetConnect();
  restoreEnv = useServicePrincipalEnv();
});
afterAll(() => {
  restoreEnv();
  nock.enableNetConnect();
});
beforeEach(() => {
  logs = new CapturedLogs();
});
afterEach(() => {
  nock.cleanAll();
});

function load(overrides: Record<string, string> = {}, clock = new ManualClock()) {
  return loadCredentials(loadConfig({ ...env, ...overrides }), { logger: createLogger("debug", logs.stream), clock, sleep: noSleep });
}

const secrets = () => ({ "face-key": FACE_KEY_1, "caller-keys": `acme:${CALLER_KEY_1}`, "webhook-secret": WEBHOOK_1 });

describe("reading secrets from Key Vault", () => {
  it("when the vault challenges, then a token is fetched for its scope and every secret is read", async () => {
    const vault = fakeVault(secrets());
    const login = fakeLogin();
    const credentials = await load();
    try {
      expect(vault.challenges).toBeGreaterThanOrEqual(1);
      expect(login.issued.length).toBeGreaterThanOrEqual(1);
      expect(login.issued.every((t) => t.scope.startsWith("https://vault.azure.net/.default"))).toBe(true);
      expect(credentials.faceAuth).toBe("keyVault");
      expect((credentials.faceCredential as { key: string }).key).toBe(FACE_KEY_1);
      expect(credentials.keyRing.verify(CALLER_KEY_1)).toBe("acme");
      expect(credentials.webhookSecrets()).toEqual([WEBHOOK_1]);
      expect(credentials.status()).toMatchObject({ source: "keyVault", faceAuth: "keyVault", keyVault: { stale: false } });
    } finally {
      credentials.close();
    }
  });

  it("when secrets are re-read within the token's life, then the cached token is reused and no new challenge happens", async () => {
    const vault = fakeVault(secrets());
    const login = fakeLogin(3600);
    const clock = new ManualClock();
    const credentials = await load({}, clock);
    try {
      const tokensAtBoot = login.issued.length;
      const challengesAtBoot = vault.challenges;
      const readsAtBoot = vault.reads["face-key"];
      clock.advance(10_000);
      vault.secrets["face-key"] = FACE_KEY_2;
      expect(await credentials.refreshFaceKey()).toBe(true);
      expect(vault.reads["face-key"]).toBe((readsAtBoot ?? 0) + 1);
      expect(login.issued.length).toBe(tokensAtBoot);
      expect(vault.challenges).toBe(challengesAtBoot);
    } finally {
      credentials.close();
    }
  });

  it("when forced refreshes pile up right after a read, then they wait for the next permitted read and share it", async () => {
    const vault = fakeVault(secrets());
    fakeLogin();
    const clock = new ManualClock();
    const waits: number[] = [];
    const config = loadConfig(env);
    const credentials = await loadCredentials(config, {
      logger: createLogger("silent"),
      clock,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    try {
      const reads = vault.reads["face-key"] ?? 0;
      clock.advance(200);
      vault.secrets["face-key"] = FACE_KEY_2;
      const results = await Promise.all([credentials.refreshFaceKey(), credentials.refreshFaceKey(), credentials.refreshFaceKey()]);
      expect(results).toEqual([true, true, true]);
      expect(waits).toEqual([800]);
      expect(vault.reads["face-key"]).toBe(reads + 1);
    } finally {
      credentials.close();
    }
  });

  it("when the token has expired, then the next read fetches a new one", async () => {
    const vault = fakeVault(secrets());
    // Tokens this short-lived are inside every cache's refresh margin, so each read must get a fresh one.
    const login = fakeLogin(60);
    const clock = new ManualClock();
    const credentials = await load({}, clock);
    try {
      const tokensAtBoot = login.issued.length;
      clock.advance(10_000);
      vault.secrets["face-key"] = FACE_KEY_2;
      expect(await credentials.refreshFaceKey()).toBe(true);
      expect(login.issued.length).toBeGreaterThan(tokensAtBoot);
    } finally {
      credentials.close();
    }
  });
});

describe("rotation", () => {
  it("when secrets rotate between two refreshes, then the new Face key and caller keys replace the old ones at once", async () => {
    const vault = fakeVault({ ...secrets(), "caller-keys": `acme:${CALLER_KEY_1}` });
    fakeLogin();
    const clock = new ManualClock();
    const credentials = await load({}, clock);
    try {
      // A client holds two keys while it rotates: old and new both work.
      vault.secrets["caller-keys"] = `acme:${CALLER_KEY_1},acme:${CALLER_KEY_2}`;
      vault.secrets["face-key"] = FACE_KEY_2;
      vault.secrets["webhook-secret"] = `${WEBHOOK_2},${WEBHOOK_1}`;
      clock.advance(61_000);
      expect(await credentials.refreshFaceKey()).toBe(true);
      expect((credentials.faceCredential as { key: string }).key).toBe(FACE_KEY_2);
      expect(credentials.keyRing.verify(CALLER_KEY_1)).toBe("acme");
      expect(credentials.keyRing.verify(CALLER_KEY_2)).toBe("acme");
      expect(credentials.webhookSecrets()).toEqual([WEBHOOK_2, WEBHOOK_1]);

      // Then the old key is retired.
      vault.secrets["caller-keys"] = `acme:${CALLER_KEY_2}`;
      clock.advance(61_000);
      await credentials.refreshFaceKey();
      expect(credentials.keyRing.verify(CALLER_KEY_1)).toBeUndefined();
      expect(credentials.keyRing.verify(CALLER_KEY_2)).toBe("acme");
    } finally {
      credentials.close();
    }
  });

  it("when the vault holds caller key hashes, then the keys they hash open the API", async () => {
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256").update(CALLER_KEY_1).digest("hex");
    fakeVault({ ...secrets(), "caller-keys": `acme:sha256:${hash}` });
    fakeLogin();
    const credentials = await load();
    expect(credentials.keyRing.verify(CALLER_KEY_1)).toBe("acme");
    credentials.close();
  });

  it("when a rotated caller key list is malformed, then the last good keys stay in force", async () => {
    const vault = fakeVault(secrets());
    fakeLogin();
    const clock = new ManualClock();
    const credentials = await load({}, clock);
    try {
      vault.secrets["caller-keys"] = "acme:short";
      clock.advance(61_000);
      await credentials.refreshFaceKey();
      expect(credentials.keyRing.verify(CALLER_KEY_1)).toBe("acme");
      expect(logs.text).toContain("ignoring a malformed caller key list");
    } finally {
      credentials.close();
    }
  });

  it("when a rotated webhook secret list is malformed, then the last good secrets keep signing and the log names the secret, not the value", async () => {
    const vault = fakeVault(secrets());
    fakeLogin();
    const clock = new ManualClock();
    const credentials = await load({}, clock);
    try {
      const plain = "a-plain-webhook-secret-0123456789";
      vault.secrets["webhook-secret"] = `${plain},${WEBHOOK_1}`;
      clock.advance(61_000);
      await credentials.refreshFaceKey();
      expect(credentials.webhookSecrets()).toEqual([WEBHOOK_1]);
      expect(logs.text).toMatch(/ignoring a malformed webhook secret list/);
      expect(logs.text).toMatch(/secret \\"webhook-secret\\" \(WEBHOOK_SECRET_NAME\).*entry 1: expected whsec_/);
      expect(logs.text).not.toContain(plain);
    } finally {
      credentials.close();
    }
  });

  it("when the vault is unreachable later, then the last good values keep serving and readiness shows their age", async () => {
    const vault = fakeVault(secrets());
    fakeLogin();
    const clock = new ManualClock();
    const credentials = await load({}, clock);
    try {
      vault.failWith = { status: 503, code: "ServiceUnavailable" };
      clock.advance(130_000);
      expect(await credentials.refreshFaceKey()).toBe(false);
      expect((credentials.faceCredential as { key: string }).key).toBe(FACE_KEY_1);
      expect(credentials.keyRing.verify(CALLER_KEY_1)).toBe("acme");
      expect(credentials.status().keyVault).toMatchObject({ stale: true, ageSeconds: 130 });
      expect(logs.text).toContain("serving the last good values");
    } finally {
      credentials.close();
    }
  });
});

describe("the state's secrets", () => {
  const REDIS_PASSWORD = "redis-access-key-0123456789";
  const REDIS_URL = `rediss://:${REDIS_PASSWORD}@lso.redis.cache.windows.net:6380`;
  const STATE_KEY_1 = Buffer.alloc(32, 1).toString("base64");
  const STATE_KEY_2 = Buffer.alloc(32, 2).toString("base64");
  const onRedis = { STATE_BACKEND: "redis", REDIS_URL_SECRET_NAME: "redis-url", STATE_ENCRYPTION_KEY_SECRET_NAME: "state-key" };

  it("when the Redis URL and the state keys are in the vault, then they are read at boot, checked, and a new version is announced for the next start", async () => {
    const vault = fakeVault({ ...secrets(), "redis-url": REDIS_URL, "state-key": `${STATE_KEY_1},${STATE_KEY_2}` });
    fakeLogin();
    const clock = new ManualClock();
    const credentials = await load(onRedis, clock);
    try {
      const state = credentials.stateSecrets();
      expect(state.redisUrl).toBe(REDIS_URL);
      expect(state.encryptionKeys?.map((k) => k.toString("base64"))).toEqual([STATE_KEY_1, STATE_KEY_2]);
      vault.secrets["state-key"] = `${STATE_KEY_2},${STATE_KEY_1}`;
      clock.advance(61_000);
      await credentials.refreshFaceKey();
      expect(logs.records().filter((r) => r.secretName === "state-key").map((r) => r.msg)).toEqual([
        "a new version of a state secret is in Key Vault; it is used from the next start (restart the replicas one by one)",
      ]);
      expect(logs.text).not.toContain(REDIS_PASSWORD);
      expect(logs.text).not.toContain(STATE_KEY_1);
    } finally {
      credentials.close();
    }
  });

  it.each([
    ["Redis URL", "redis-url", `https://:${REDIS_PASSWORD}@lso.redis.cache.windows.net`, /\(REDIS_URL_SECRET_NAME\) .* is not a valid Redis URL: must start with redis:\/\//],
    ["key list", "state-key", `${STATE_KEY_1},${REDIS_PASSWORD}`, /\(STATE_ENCRYPTION_KEY_SECRET_NAME\) .* is not a valid state encryption key list: key 2 is not 32 bytes/],
  ])("when the vault's %s is malformed, then loading fails naming the secret, never the value", async (_what, name, value, message) => {
    fakeVault({ ...secrets(), "redis-url": REDIS_URL, "state-key": STATE_KEY_1, [name]: value });
    fakeLogin();
    const failure = await load(onRedis).then(
      () => new Error("loaded"),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(message);
    expect(failure.message).not.toContain(REDIS_PASSWORD);
    expect(failure.message).not.toContain(STATE_KEY_1);
  });
});

describe("startup failures name what to fix", () => {
  it.each([
    ["a missing secret", { status: 404 }, /secret "face-key" \(FACE_APIKEY_SECRET_NAME\) in Key Vault https:\/\/lso-test\.vault\.azure\.net does not exist/],
    ["missing permissions", { status: 403, code: "Forbidden" }, /may not read secret "face-key".*Key Vault Secrets User/],
    ["a vault that keeps failing", { status: 500, code: "InternalError" }, /answered 500 .*gave up after 5 attempts/],
  ] as [string, { status: number; code?: string }, RegExp][])("when the vault answers with %s, then loading fails with a message naming it", async (_name, failure, message) => {
    const vault = fakeVault(failure.status === 404 ? { "caller-keys": `acme:${CALLER_KEY_1}`, "webhook-secret": WEBHOOK_1 } : secrets());
    if (failure.status !== 404) vault.failWith = { status: failure.status, code: failure.code ?? "" };
    fakeLogin();
    await expect(load()).rejects.toThrow(message);
  });

  it("when the webhook secret in the vault is not a whsec_ list, then loading fails naming the secret and the entry, never the value", async () => {
    const plain = "a-plain-webhook-secret-0123456789";
    fakeVault({ ...secrets(), "webhook-secret": `${WEBHOOK_1}\n${plain}` });
    fakeLogin();
    const failure = await load().then(
      () => new Error("loaded"),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/^secret "webhook-secret" \(WEBHOOK_SECRET_NAME\) in https:\/\/lso-test\.vault\.azure\.net is not a valid webhook secret list: entry 2: expected whsec_/);
    expect(failure.message).not.toContain(plain);
    expect(failure.message).not.toContain(WEBHOOK_1.slice("whsec_".length));
  });

  it("when the vault cannot be reached, then it retries a bounded number of times and names the vault", async () => {
    let attempts = 0;
    nock(VAULT)
      .persist()
      .get(/^\/secrets\//)
      .query(true)
      .reply(() => {
        attempts += 1;
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      });
    await expect(load()).rejects.toThrow(/Key Vault https:\/\/lso-test\.vault\.azure\.net is unreachable/);
    expect(attempts).toBeGreaterThanOrEqual(5);
  });

  it("when the vault host does not resolve, then the message says to check KEY_VAULT_URL", async () => {
    nock("https://no-such-vault.vault.azure.net")
      .persist()
      .get(/^\/secrets\//)
      .query(true)
      .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND no-such-vault.vault.azure.net"), { code: "ENOTFOUND" }));
    await expect(load({ KEY_VAULT_URL: "https://no-such-vault.vault.azure.net" })).rejects.toThrow(/cannot be resolved .*check KEY_VAULT_URL/);
  });

  it("when KEY_VAULT_URL is not a Key Vault, then the challenge is refused and the message says so", async () => {
    fakeVault(secrets(), "https://not-a-vault.example.com");
    fakeLogin();
    await expect(load({ KEY_VAULT_URL: "https://not-a-vault.example.com" })).rejects.toThrow(/is not a Key Vault endpoint/);
  });

  it("when the service principal is refused by Entra ID, then the message points at the identity", async () => {
    fakeVault(secrets());
    nock("https://login.microsoftonline.com")
      .persist()
      .post(/oauth2\/v2\.0\/token/)
      .query(true)
      .reply(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." });
    await expect(load()).rejects.toThrow(/no Entra ID token for Key Vault .*managed identity, workload identity or service principal/);
  });

  it("when any of that happened, then no secret value reached the logs", async () => {
    fakeVault(secrets());
    const login = fakeLogin();
    const credentials = await load();
    credentials.close();
    for (const secret of [FACE_KEY_1, CALLER_KEY_1, WEBHOOK_1, WEBHOOK_1.slice("whsec_".length), CLIENT_SECRET, ...login.issued.map((t) => t.token)]) {
      expect(logs.text).not.toContain(secret);
    }
    expect(logs.text).toContain("Face authentication: key from Key Vault");
  });
});
