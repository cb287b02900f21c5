import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEV_API_KEY, envSchema, loadConfig } from "../src/config.js";
import { configProblems } from "./helpers/config-problems.js";

const production = {
  STATE_BACKEND: "memory",
  FACE_ENDPOINT: "https://my-face.cognitiveservices.azure.com/",
  FACE_APIKEY: "face-key-0123456789",
  API_KEYS: "acme:acme-key-0123456789abcdef",
};

const problemsOf = configProblems;

describe("loadConfig", () => {
  it("when nothing is set, then it runs on the emulator with the development key on 127.0.0.1:3000", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.face.endpoint).toBeUndefined();
    expect(config.face.apiVersion).toBe("v1.2");
    expect(config.usingDevApiKey).toBe(true);
    expect(config.apiKeys).toEqual([{ clientId: "dev", key: DEV_API_KEY }]);
  });

  it("when a real endpoint is configured, then the trailing slash is dropped and no development key exists", () => {
    const config = loadConfig(production);
    expect(config.face.endpoint).toBe("https://my-face.cognitiveservices.azure.com");
    expect(config.usingDevApiKey).toBe(false);
    expect(config.apiKeys).toEqual([{ clientId: "acme", key: "acme-key-0123456789abcdef" }]);
  });

  it("when a variable is empty, then it counts as unset", () => {
    expect(loadConfig({ PORT: "", FACE_ENDPOINT: " " }).port).toBe(3000);
  });

  it("when PORT is not a number, then the error names PORT", () => {
    expect(problemsOf({ PORT: "abc" }).join("\n")).toMatch(/^PORT: /m);
  });

  it("when several variables are wrong, then each is named", () => {
    const problems = problemsOf({ PORT: "70000", LOG_LEVEL: "loud", FACE_TIMEOUT_MS: "5" }).join("\n");
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/FACE_TIMEOUT_MS/);
  });

  it("when FACE_ENDPOINT is plain http to a remote host, then it is refused", () => {
    expect(problemsOf({ ...production, FACE_ENDPOINT: "http://my-face.cognitiveservices.azure.com" }).join()).toMatch(/FACE_ENDPOINT: must use https/);
  });

  it.each(["http://127.0.0.1:5001", "http://localhost:5001", "http://[::1]:5001"])(
    "when FACE_ENDPOINT is plain http to loopback %s, then it is accepted",
    (endpoint) => {
      expect(loadConfig({ ...production, FACE_ENDPOINT: endpoint }).face.endpoint).toBe(endpoint);
    },
  );

  it.each([
    "https://x.cognitiveservices.azure.com/face/v1.2",
    "https://x.cognitiveservices.azure.com/face",
    "https://x.cognitiveservices.azure.com/?api-version=1",
    "https://x.cognitiveservices.azure.com?",
    "https://x.cognitiveservices.azure.com/#face",
  ])("when FACE_ENDPOINT carries a path, query or fragment (%s), then startup names it and shows the expected form", (endpoint) => {
    expect(problemsOf({ ...production, FACE_ENDPOINT: endpoint })).toEqual([
      "FACE_ENDPOINT: must be the resource's origin only, with no path, query or fragment: expected https://<resource>.cognitiveservices.azure.com",
    ]);
  });

  it("when FACE_ENDPOINT carries credentials, then it is refused without echoing them", () => {
    const problems = problemsOf({ ...production, FACE_ENDPOINT: "https://user:pa55word@x.cognitiveservices.azure.com" }).join();
    expect(problems).toMatch(/FACE_ENDPOINT: must not carry credentials/);
    expect(problems).not.toContain("pa55word");
  });

  it("when a plain-http FACE_ENDPOINT host is listed in FACE_ALLOW_HTTP_HOSTS, then it is accepted", () => {
    const config = loadConfig({ ...production, FACE_ENDPOINT: "http://Emulator:5001", FACE_ALLOW_HTTP_HOSTS: "face-dev, emulator" });
    expect(config.face.endpoint).toBe("http://emulator:5001");
  });

  it("when a plain-http FACE_ENDPOINT host is not the one FACE_ALLOW_HTTP_HOSTS lists, then it is refused", () => {
    const problems = problemsOf({ ...production, FACE_ENDPOINT: "http://emulator.example.com:5001", FACE_ALLOW_HTTP_HOSTS: "emulator" });
    expect(problems.join()).toMatch(/FACE_ENDPOINT: must use https; .* FACE_ALLOW_HTTP_HOSTS/);
  });

  it("when a plain-http FACE_ENDPOINT is refused and another variable is wrong too, then both are named", () => {
    const problems = problemsOf({ ...production, PORT: "http", FACE_ENDPOINT: "http://emulator:5001" }).join("\n");
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^FACE_ENDPOINT: must use https/m);
  });

  it("when FACE_ENDPOINT uses a scheme other than http or https, then it is refused", () => {
    expect(problemsOf({ ...production, FACE_ENDPOINT: "ftp://emulator:5001", FACE_ALLOW_HTTP_HOSTS: "emulator" }).join()).toMatch(/FACE_ENDPOINT: must use https/);
  });

  it("when FACE_ENDPOINT is not a URL, then it is refused", () => {
    expect(problemsOf({ ...production, FACE_ENDPOINT: "my-face" }).join()).toMatch(/FACE_ENDPOINT/);
  });

  it("when FACE_ENDPOINT is set without API_KEYS, then startup fails naming API_KEYS", () => {
    expect(problemsOf({ STATE_BACKEND: "memory", FACE_ENDPOINT: production.FACE_ENDPOINT, FACE_APIKEY: production.FACE_APIKEY }).join()).toMatch(/^API_KEYS: required/);
  });

  it("when FACE_ENDPOINT is set without any Face key, then the Face client uses Entra ID", () => {
    expect(loadConfig({ STATE_BACKEND: "memory", FACE_ENDPOINT: production.FACE_ENDPOINT, API_KEYS: production.API_KEYS }).face.auth).toBe("entraId");
  });

  it("when FACE_APIKEY is set, then the Face client uses the key; in emulator mode too", () => {
    expect(loadConfig(production).face.auth).toBe("key");
    expect(loadConfig({}).face.auth).toBe("key");
  });

  it("when Entra ID would be used over plain http, then startup fails naming FACE_ENDPOINT", () => {
    expect(problemsOf({ STATE_BACKEND: "memory", FACE_ENDPOINT: "http://127.0.0.1:5001", API_KEYS: production.API_KEYS }).join()).toMatch(/FACE_ENDPOINT: Entra ID .* needs https/);
  });

  it("when an API key is short or malformed, then the entry is named by position and the key is never echoed", () => {
    const problems = problemsOf({ API_KEYS: "acme:short-secret,bad entry without-colon-secret" }).join("\n");
    expect(problems).toMatch(/entry 1 \(acme\): the key must be at least 16/);
    expect(problems).toMatch(/entry 2: expected clientId:key/);
    expect(problems).not.toMatch(/short-secret|without-colon-secret/);
  });

  it("when a client lists two keys, then both are kept (rotation)", () => {
    const config = loadConfig({ API_KEYS: "acme:old-key-0123456789ab, acme:new-key-0123456789ab" });
    expect(config.apiKeys.map((k) => k.clientId)).toEqual(["acme", "acme"]);
  });

  it("when two clients share a key, then it is refused", () => {
    expect(problemsOf({ API_KEYS: "a:same-key-0123456789ab,b:same-key-0123456789ab" }).join()).toMatch(/listed twice/);
  });
});

describe("loadConfig with Key Vault", () => {
  const vault = { KEY_VAULT_URL: "https://my-vault.vault.azure.net/", STATE_BACKEND: "memory", FACE_ENDPOINT: production.FACE_ENDPOINT };

  it("when the Face key and caller keys come from Key Vault, then both secret names and the refresh interval are kept", () => {
    const config = loadConfig({ ...vault, FACE_APIKEY_SECRET_NAME: "face-key", API_KEYS_SECRET_NAME: "caller-keys", KEY_VAULT_REFRESH_SECONDS: "60" });
    expect(config.face.auth).toBe("keyVault");
    expect(config.keyVault).toEqual({ url: "https://my-vault.vault.azure.net", refreshSeconds: 60, secrets: { faceApiKey: "face-key", apiKeys: "caller-keys" } });
    expect(config.usingDevApiKey).toBe(false);
  });

  it.each([
    ["a secret name without a vault", { FACE_APIKEY_SECRET_NAME: "face-key", API_KEYS: production.API_KEYS }, /FACE_APIKEY_SECRET_NAME: needs KEY_VAULT_URL/],
    ["a vault without a secret name", { KEY_VAULT_URL: vault.KEY_VAULT_URL }, /KEY_VAULT_URL: set, but no/],
    ["both FACE_APIKEY and its secret", { ...vault, FACE_APIKEY: "k-0123456789abcdef", FACE_APIKEY_SECRET_NAME: "face-key", API_KEYS: production.API_KEYS }, /FACE_APIKEY: set together/],
    ["both API_KEYS and its secret", { ...vault, API_KEYS: production.API_KEYS, API_KEYS_SECRET_NAME: "caller-keys" }, /API_KEYS: set together/],
    ["a plain-http vault", { KEY_VAULT_URL: "http://my-vault.vault.azure.net", WEBHOOK_SECRET_NAME: "w" }, /KEY_VAULT_URL: must use https/],
    ["a secret name with a slash", { ...vault, API_KEYS_SECRET_NAME: "a/b" }, /API_KEYS_SECRET_NAME: must be a Key Vault secret name/],
  ])("when there is %s, then startup fails naming the variable", (_name, env, message) => {
    expect(problemsOf(env as Record<string, string>).join("\n")).toMatch(message);
  });

  it("when caller keys are hashes, then they are accepted", () => {
    const hash = "a".repeat(64);
    expect(loadConfig({ API_KEYS: `acme:sha256:${hash}` }).apiKeys).toEqual([{ clientId: "acme", sha256: hash }]);
  });
});

describe("loadConfig for HTTP hardening", () => {
  it.each([
    ["false", false],
    ["true", true],
    ["2", 2],
    ["10.0.0.0/8, 127.0.0.1", "10.0.0.0/8, 127.0.0.1"],
  ] as const)("when TRUST_PROXY is %s, then it is read as %s", (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).http.trustProxy).toEqual(expected);
  });

  it("when TRUST_PROXY is junk, then startup names it", () => {
    expect(problemsOf({ TRUST_PROXY: "everyone" }).join()).toMatch(/^TRUST_PROXY/);
  });

  it("when the header timeout is longer than the request timeout, then startup names it", () => {
    expect(problemsOf({ HEADERS_TIMEOUT_MS: "40000", REQUEST_TIMEOUT_MS: "30000" }).join()).toMatch(/HEADERS_TIMEOUT_MS: must not exceed/);
  });
});

describe(".env.example", () => {
  it("when compared with the config schema, then both list exactly the same variables", () => {
    const text = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
    const listed = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(envSchema.shape).sort());
  });

  it("when each variable is described in the schema, then no description is missing", () => {
    for (const [name, schema] of Object.entries(envSchema.shape)) {
      expect(schema.description, name).toBeTruthy();
    }
  });
});
