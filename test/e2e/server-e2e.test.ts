/**
 * The real server process, over real HTTP: `npm start`'s embedded-emulator mode, and a server pointed at a
 * standalone emulator through FACE_ENDPOINT (the non-embedded path). Both session kinds go through the device step.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DEV_API_KEY } from "../../src/config.js";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

const running: RunningProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
});

function start(entry: string, env: Record<string, string>) {
  const proc = startNodeProcess(entry, env);
  running.push(proc);
  return proc;
}

/** Create, play the device, read the result, delete: the whole life of a session, over HTTP. */
async function sessionLifecycle(api: string, apiKey: string, faceUrl: string, kind: "liveness" | "livenessWithVerify") {
  const headers = { "x-api-key": apiKey };
  const body =
    kind === "liveness"
      ? { kind, deviceCorrelationId: "e2e-device" }
      : { kind, deviceCorrelationId: "e2e-device", verifyImage: makeTestJpeg().toString("base64") };
  const created = await fetch(`${api}/v1/sessions`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(created.status).toBe(201);
  const session = (await created.json()) as { id: string; authToken: string };

  const device = await emulatorDeviceAttempt(faceUrl, kind, session.authToken, { livenessDecision: "realface", matchConfidence: 0.9 });
  expect(device.status, JSON.stringify(device.body)).toBe(200);

  const read = await fetch(`${api}/v1/sessions/${session.id}`, { headers });
  expect(read.status, await read.clone().text()).toBe(200);
  const view = (await read.json()) as Record<string, unknown>;
  expect(view).toMatchObject({ status: "succeeded", livenessDecision: "realface", digest: device.body.digest });
  // Raw scores are shown only to clients whose policy sets decision.exposeScores.
  if (kind === "livenessWithVerify") expect(view.verifyResult).toEqual({ isIdentical: true });
  // The device SDK hands the app its digest; passing it on approves the real face.
  const completed = await fetch(`${api}/v1/sessions/${session.id}/complete`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ clientDigest: device.body.digest }),
  });
  expect(((await completed.json()) as { decision: { outcome: string } }).decision.outcome).toBe("approved");

  expect((await fetch(`${api}/v1/sessions/${session.id}`, { method: "DELETE", headers })).status).toBe(204);
  expect((await fetch(`${api}/v1/sessions/${session.id}`, { headers })).status).toBe(404);
}

const listening = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/;

describe("the server process", () => {
  it("when started with no configuration, then it serves the API on the embedded emulator and both kinds work", async () => {
    const server = start("src/server.ts", { PORT: "0", FACE_EMULATOR_PORT: "0" });
    const [, api] = await server.waitFor(listening);
    const [, faceUrl] = await server.waitFor(/"emulatorUrl":"(http:\/\/127\.0\.0\.1:\d+)"/);
    expect(server.output()).toContain("EMULATOR MODE");
    expect((await fetch(`${api!}/readyz`)).status).toBe(200);

    await sessionLifecycle(api!, DEV_API_KEY, faceUrl!, "liveness");
    await sessionLifecycle(api!, DEV_API_KEY, faceUrl!, "livenessWithVerify");

    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.output()).not.toContain(DEV_API_KEY);
  });

  it("when FACE_ENDPOINT points at a standalone emulator, then no embedded one starts and both kinds work", async () => {
    const faceKey = "standalone-face-key-0123456789";
    const apiKey = "e2e-client-key-0123456789abcdef";
    const emulator = start("src/emulator/emulator-server.ts", { FACE_EMULATOR_PORT: "0", FACE_APIKEY: faceKey });
    const [, faceUrl] = await emulator.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    const server = start("src/server.ts", { PORT: "0", STATE_BACKEND: "memory", FACE_ENDPOINT: faceUrl!, FACE_APIKEY: faceKey, API_KEYS: `e2e:${apiKey}` });
    const [, api] = await server.waitFor(listening);
    expect(server.output()).not.toContain("EMULATOR MODE");

    await sessionLifecycle(api!, apiKey, faceUrl!, "liveness");
    await sessionLifecycle(api!, apiKey, faceUrl!, "livenessWithVerify");

    for (const secret of [faceKey, apiKey]) {
      expect(server.output()).not.toContain(secret);
      expect(emulator.output()).not.toContain(secret);
    }
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("when the configuration is wrong, then it exits non-zero naming every wrong variable", async () => {
    const server = start("src/server.ts", { PORT: "http", FACE_ENDPOINT: "http://face.example.com", API_KEYS: "acme:short" });
    expect(await server.exited).toBe(1);
    const output = server.output();
    expect(output).toMatch(/PORT: /);
    expect(output).toMatch(/FACE_ENDPOINT: must use https/);
    expect(output).toMatch(/API_KEYS: entry 1 \(acme\): the key must be at least 16/);
    expect(output).not.toContain("short");
  });

  it("when a real FACE_ENDPOINT is set without API_KEYS, then startup fails naming API_KEYS", async () => {
    const server = start("src/server.ts", { FACE_ENDPOINT: "https://x.cognitiveservices.azure.com", FACE_APIKEY: "face-key-0123456789" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/API_KEYS: required/);
  });

  it("when Key Vault cannot be reached at boot, then it retries, gives up and exits non-zero naming the vault and the secret", async () => {
    const server = start("src/server.ts", {
      // Ephemeral ports: the emulator would otherwise try 5001, which a running `npm start` holds.
      PORT: "0",
      FACE_EMULATOR_PORT: "0",
      KEY_VAULT_URL: "https://127.0.0.1:1",
      API_KEYS_SECRET_NAME: "caller-keys",
      AZURE_TOKEN_CREDENTIALS: "EnvironmentCredential",
    });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/secret "caller-keys" \(API_KEYS_SECRET_NAME\) in Key Vault https:\/\/127\.0\.0\.1:1.*gave up after 5 attempts/);
  }, 30_000);
});

