/**
 * The Face client's credentials end to end through buildApp: a key from Key Vault that rotates (a Face 401 triggers
 * one shared re-read and one retry), and Entra ID bearer tokens. Face, Key Vault and Entra ID are nock'd cloud hosts.
 */
import type { FastifyInstance } from "fastify";
import nock from "nock";
import { getGlobalDispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { CapturedLogs } from "../helpers/app-harness.js";
import { CLIENT_SECRET, fakeLogin, fakeVault, useServicePrincipalEnv, VAULT } from "./azure-fakes.js";

const FACE = "https://lso-face.cognitiveservices.azure.com";
const BASE = "/face/v1.2";
const SESSION_ID = "b12e033e-bda7-4b83-a211-e721c661f30e";
const session = { sessionId: SESSION_ID, authToken: "device-token-xyz", status: "NotStarted", modelVersion: "2024-11-15", results: { attempts: [] } };
const OLD_KEY = "face-key-old-0123456789abcdef";
const NEW_KEY = "face-key-new-0123456789abcdef";
const CALLER = "caller-key-0123456789abcdef";
const headers = { "x-api-key": CALLER };
/** An operator key: /readyz shows its checks only to an operator. */
const OPERATOR = "operator-key-0123456789abcdef";
const operator = { "x-admin-key": OPERATOR };
const denied = { error: { code: "401", message: "Access denied due to invalid subscription key or wrong API endpoint." } };

let restoreEnv: () => void;
let app: FastifyInstance | undefined;
const logs = new CapturedLogs();

beforeAll(() => {
  nock.disableNetConnect();
  restoreEnv = useServicePrincipalEnv();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  nock.cleanAll();
});
afterAll(() => {
  restoreEnv();
  nock.enableNetConnect();
});

async function keyVaultApp(clock: ManualClock) {
  const vault = fakeVault({ "face-key": OLD_KEY, "caller-keys": `acme:${CALLER}` });
  const login = fakeLogin();
  // No background session watcher: these tests script every Face call with nock, and a watcher poll after the clock
  // jumps would be an unscripted one.
  const config = loadConfig({
    STATE_BACKEND: "memory",
    FACE_ENDPOINT: FACE,
    KEY_VAULT_URL: VAULT,
    FACE_APIKEY_SECRET_NAME: "face-key",
    API_KEYS_SECRET_NAME: "caller-keys",
    SESSION_WATCH_INTERVAL_MS: "0",
    ADMIN_API_KEYS: `ops:${OPERATOR}`,
  });
  app = await buildApp(config, { logger: createLogger("debug", logs.stream), clock, credentialDeps: { sleep: async () => {} }, faceDispatcher: getGlobalDispatcher() });
  return { app, vault, login };
}

const withKey = (key: string) => ({ reqheaders: { "ocp-apim-subscription-key": key } });

describe("a Face key from Key Vault", () => {
  it("when Face answers 401 after the key rotated, then the key is re-read and the create is retried once with the new key", async () => {
    const clock = new ManualClock();
    const { app, vault } = await keyVaultApp(clock);
    vault.secrets["face-key"] = NEW_KEY;
    clock.advance(10_000);
    const refused = nock(FACE, withKey(OLD_KEY)).post(`${BASE}/detectLiveness-sessions`).reply(401, denied);
    const accepted = nock(FACE, withKey(NEW_KEY)).post(`${BASE}/detectLiveness-sessions`).reply(200, session);

    const res = await app.inject({ method: "POST", url: "/v1/sessions", headers, payload: { kind: "liveness", deviceCorrelationId: "d" } });
    expect(res.statusCode).toBe(201);
    expect(refused.isDone() && accepted.isDone()).toBe(true);
  });

  it("when many calls get 401 at once, then they share one Key Vault read and each is retried once", async () => {
    const clock = new ManualClock();
    const { app, vault } = await keyVaultApp(clock);
    // Five sessions: concurrent reads of one session share a single Face call (session-sync.ts), five do not.
    const ids = Array.from({ length: 5 }, (_, i) => SESSION_ID.replace(/.$/, String(i)));
    for (const sessionId of ids) {
      nock(FACE, withKey(OLD_KEY)).post(`${BASE}/detectLiveness-sessions`).reply(200, { ...session, sessionId });
      expect((await app.inject({ method: "POST", url: "/v1/sessions", headers, payload: { kind: "liveness" } })).statusCode).toBe(201);
    }

    vault.secrets["face-key"] = NEW_KEY;
    clock.advance(10_000);
    const readsBefore = vault.reads["face-key"] ?? 0;
    // Face refuses once all five reads have reached it (they are paced, not sent as one burst), so the five 401s
    // come back together, as they would to calls in flight at once.
    let arrived = 0;
    let allArrived!: () => void;
    const together = new Promise<void>((resolve) => (allArrived = resolve));
    const refuseTogether = async (): Promise<[number, typeof denied]> => {
      if ((arrived += 1) === ids.length) allArrived();
      await together;
      return [401, denied];
    };
    const refused = ids.map((id) => nock(FACE, withKey(OLD_KEY)).get(`${BASE}/detectLiveness-sessions/${id}`).reply(refuseTogether));
    const accepted = ids.map((id) => nock(FACE, withKey(NEW_KEY)).get(`${BASE}/detectLiveness-sessions/${id}`).reply(200, { ...session, sessionId: id }));
    const answers = await Promise.all(ids.map((id) => app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers })));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(vault.reads["face-key"]).toBe(readsBefore + 1);
    expect([...refused, ...accepted].every((scope) => scope.isDone())).toBe(true);
  });

  it("when Face answers 401 and the vault still holds the same key, then there is no retry and the caller gets 502", async () => {
    const clock = new ManualClock();
    const { app } = await keyVaultApp(clock);
    clock.advance(10_000);
    const refused = nock(FACE).post(`${BASE}/detectLiveness-sessions`).once().reply(401, denied);
    const res = await app.inject({ method: "POST", url: "/v1/sessions", headers, payload: { kind: "liveness" } });
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe("LSO_ERR_UPSTREAM_AUTH");
    expect(refused.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("when Face answers 403, then the key is not re-read and the create is not repeated", async () => {
    const clock = new ManualClock();
    const { app, vault } = await keyVaultApp(clock);
    clock.advance(10_000);
    const reads = vault.reads["face-key"];
    nock(FACE).post(`${BASE}/detectLiveness-sessions`).once().reply(403, { error: { code: "UnsupportedFeature", message: "no" } });
    expect((await app.inject({ method: "POST", url: "/v1/sessions", headers, payload: { kind: "liveness" } })).statusCode).toBe(502);
    expect(vault.reads["face-key"]).toBe(reads);
  });

  it("when readiness is asked, then it reports Key Vault as the source and how old the values are", async () => {
    const clock = new ManualClock();
    const { app } = await keyVaultApp(clock);
    nock(FACE).get(`${BASE}/detectLiveness-sessions/00000000-0000-0000-0000-000000000000`).reply(404, { error: { code: "SessionNotFound", message: "x" } });
    clock.advance(42_000);
    const ready = await app.inject({ method: "GET", url: "/readyz", headers: operator });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.credentials).toEqual({ status: "up", source: "keyVault", faceAuth: "keyVault", ageSeconds: 42 });
  });
});

describe("Entra ID (keyless)", () => {
  it("when no Face key is configured, then Face calls carry a bearer token for the Cognitive Services scope and no key", async () => {
    const login = fakeLogin();
    app = await buildApp(loadConfig({ STATE_BACKEND: "memory", FACE_ENDPOINT: FACE, API_KEYS: `acme:${CALLER}` }), { logger: createLogger("debug", logs.stream), faceDispatcher: getGlobalDispatcher() });
    const face = nock(FACE, { reqheaders: { authorization: /^Bearer access-token-\d+-for-face$/ }, badheaders: ["ocp-apim-subscription-key"] })
      .post(`${BASE}/detectLiveness-sessions`)
      .reply(200, session)
      .get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`)
      .reply(200, session);
    expect((await app.inject({ method: "POST", url: "/v1/sessions", headers, payload: { kind: "liveness" } })).statusCode).toBe(201);
    expect((await app.inject({ method: "GET", url: `/v1/sessions/${SESSION_ID}`, headers })).statusCode).toBe(200);
    expect(face.isDone()).toBe(true);
    expect(login.issued.map((t) => t.scope)).toEqual([expect.stringContaining("https://cognitiveservices.azure.com/.default")]);
    expect(logs.text).toContain("Face authentication: Entra ID");
  });

  it("when no token can be had, then readiness is down with the auth code and requests get 502", async () => {
    nock("https://login.microsoftonline.com").persist().post(/token/).query(true).reply(401, { error: "invalid_client", error_description: "bad secret" });
    app = await buildApp(loadConfig({ STATE_BACKEND: "memory", FACE_ENDPOINT: FACE, API_KEYS: `acme:${CALLER}`, ADMIN_API_KEYS: `ops:${OPERATOR}` }), { logger: createLogger("debug", logs.stream), faceDispatcher: getGlobalDispatcher() });
    const ready = await app.inject({ method: "GET", url: "/readyz", headers: operator });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.face).toEqual({ status: "down", code: "LSO_ERR_UPSTREAM_AUTH" });
    const res = await app.inject({ method: "POST", url: "/v1/sessions", headers, payload: { kind: "liveness" } });
    expect(res.statusCode).toBe(502);
  });

  it("when all of the above ran, then no key, client secret or token reached the logs", () => {
    for (const secret of [OLD_KEY, NEW_KEY, CALLER, OPERATOR, CLIENT_SECRET, "access-token-", "device-token-xyz"]) expect(logs.text).not.toContain(secret);
  });
});
