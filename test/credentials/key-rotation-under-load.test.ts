/**
 * Rotating the Face key under steady traffic fails no request. Face is the real emulator over HTTP (with the two
 * keys a Face resource has); Key Vault and Entra ID are nock'd cloud hosts. The rotation follows Azure's runbook:
 * put KEY2 in the vault, then regenerate KEY1 at Face — here before our periodic refresh has seen KEY2, so requests
 * still signed with KEY1 get 401 and must recover through the forced refresh.
 */
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { SubscriptionKeys } from "../../src/emulator/emulator-keys.js";
import { startEmulator } from "../../src/emulator/emulator-server.js";
import { createLogger } from "../../src/logger.js";
import { CapturedLogs } from "../helpers/app-harness.js";
import { fakeLogin, fakeVault, useServicePrincipalEnv, VAULT } from "./azure-fakes.js";

const KEY1 = "face-key-one-0123456789abcdef";
const KEY2 = "face-key-two-0123456789abcdef";
const CALLER = "caller-key-0123456789abcdef";

let restoreEnv: () => void;
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  restoreEnv = useServicePrincipalEnv();
});
afterAll(() => {
  restoreEnv();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("Face key rotation under load", () => {
  it("when the key is rotated mid-traffic, then every request still succeeds", async () => {
    const faceKeys = new SubscriptionKeys([KEY1, KEY2]);
    const emulator = await startEmulator({ port: 0, subscriptionKeys: faceKeys });
    const vault = fakeVault({ "face-key": KEY1, "caller-keys": `acme:${CALLER}` });
    fakeLogin();
    const logs = new CapturedLogs();
    const config = loadConfig({
      STATE_BACKEND: "memory",
      FACE_ENDPOINT: emulator.url,
      KEY_VAULT_URL: VAULT,
      FACE_APIKEY_SECRET_NAME: "face-key",
      API_KEYS_SECRET_NAME: "caller-keys",
      // Long enough that the periodic refresh does not pick up KEY2 before KEY1 is revoked.
      KEY_VAULT_REFRESH_SECONDS: "3600",
    });
    const app = await buildApp(config, { logger: createLogger("info", logs.stream) });
    const statuses: number[] = [];
    try {
      let stop = false;
      const worker = async () => {
        // Bounded: at most 150 round trips per worker, and it stops as soon as the scenario is over.
        for (let i = 0; i < 150 && !stop; i++) {
          const created = await app.inject({ method: "POST", url: "/v1/sessions", headers: { "x-api-key": CALLER }, payload: { kind: "liveness" } });
          statuses.push(created.statusCode);
          if (created.statusCode !== 201) continue;
          const read = await app.inject({ method: "GET", url: `/v1/sessions/${created.json().id}`, headers: { "x-api-key": CALLER } });
          statuses.push(read.statusCode);
        }
      };
      const traffic = Promise.all([worker(), worker(), worker(), worker()]);
      // The scenario advances by responses seen, not by time, so a slow machine changes nothing but the duration.
      const after = async (responses: number) => {
        while (statuses.length < responses) await new Promise((resolve) => setTimeout(resolve, 5));
      };

      await after(20);
      vault.secrets["face-key"] = KEY2; // 1. the operator stores KEY2 in the vault
      faceKeys.set([KEY2]); // 2. and regenerates KEY1 at Face, which revokes it at once
      await after(60);
      stop = true;
      await traffic;

      expect(statuses.length).toBeGreaterThanOrEqual(60);
      expect(statuses.filter((s) => s !== 201 && s !== 200)).toEqual([]);
      expect(logs.text).toContain("Key Vault secret rotated");
      expect(logs.text).toContain("retrying the call once with the new key");
      expect(logs.text).not.toContain(KEY1);
      expect(logs.text).not.toContain(KEY2);
    } finally {
      await app.close();
      await emulator.close();
    }
  });
});
