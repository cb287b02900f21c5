/**
 * The real server process on Redis: it retries a Redis that does not answer and then exits naming REDIS_URL and
 * the host; on a Redis that answers it logs the backend once, keeps sessions across its own restart, and at trace
 * level never logs the Redis password or STATE_ENCRYPTION_KEY (nor tokens and keys).
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freePort } from "../helpers/free-port.js";

const PASSWORD = "e2e-redis-password-0123456789";
const STATE_KEY = randomBytes(32);
const API_KEY = "e2e-redis-api-key-0123456789abcdef";
const FACE_KEY = "e2e-redis-face-key-0123456789";

const running: RunningProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
});

function start(env: Record<string, string>) {
  const proc = startNodeProcess("src/server.ts", env);
  running.push(proc);
  return proc;
}

const listening = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/;
const secretsOf = (extra: string[] = []) => [PASSWORD, STATE_KEY.toString("base64"), STATE_KEY.toString("hex"), ...extra];

describe("the server process with a Redis that does not answer", () => {
  // Each waits out the bounded tries (about 15 s), so they run side by side.
  it.concurrent("when nothing listens at REDIS_URL, then it retries, then exits non-zero naming REDIS_URL and the host, never the password", async () => {
    const port = await freePort();
    const server = start({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}`, STATE_ENCRYPTION_KEY: STATE_KEY.toString("base64"), LOG_LEVEL: "trace" });
    expect(await server.exited).toBe(1);
    const output = server.output();
    expect(output.match(/Redis is not answering yet; retrying/g)).toHaveLength(4);
    expect(output).toContain(`Startup failed: REDIS_URL: Redis at 127.0.0.1:${port} did not answer after 5 attempts (last error: connect ECONNREFUSED`);
    expect(output).not.toMatch(/API ready/);
    for (const secret of secretsOf()) expect(output).not.toContain(secret);
  }, 60_000);

  describeRedis("", () => {
    const redis = useRedisServer({ password: PASSWORD });

    it.concurrent("when the password in REDIS_URL is wrong, then it exits naming REDIS_URL and Redis' refusal, never either password", async () => {
      const wrong = "a-rotated-away-password-000";
      const url = redis().url.replace(encodeURIComponent(PASSWORD), wrong);
      const server = start({ REDIS_URL: url, STATE_ENCRYPTION_KEY: STATE_KEY.toString("base64"), LOG_LEVEL: "trace" });
      expect(await server.exited).toBe(1);
      const output = server.output();
      expect(output).toMatch(/Startup failed: REDIS_URL: Redis at 127\.0\.0\.1:\d+ did not answer after 5 attempts \(last error: WRONGPASS/);
      for (const secret of secretsOf([wrong])) expect(output).not.toContain(secret);
    }, 60_000);
  });
});

describeRedis("the server process on a Redis that answers", () => {
  const redis = useRedisServer({ password: PASSWORD });
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it("when a session is created, the server restarts and the session is read and settled, then it is all there and no log line at trace holds a secret", async () => {
    const keyPrefix = redis().keyPrefix();
    const env = {
      FACE_ENDPOINT: emulator.url,
      FACE_APIKEY: FACE_KEY,
      API_KEYS: `e2e:${API_KEY}`,
      REDIS_URL: redis().url,
      REDIS_KEY_PREFIX: keyPrefix,
      STATE_ENCRYPTION_KEY: STATE_KEY.toString("base64"),
      LOG_LEVEL: "trace",
    };
    const headers = { "x-api-key": API_KEY, "content-type": "application/json" };

    const first = start(env);
    const [, api1] = await first.waitFor(listening);
    const stateLines = first.output().split("\n").filter((line) => line.includes('"msg":"state: redis"'));
    expect(stateLines).toHaveLength(1);
    expect(JSON.parse(stateLines[0]!)).toMatchObject({ backend: "redis", redis: `127.0.0.1:${redis().port}`, keyPrefix });
    const created = await fetch(`${api1!}/v1/sessions`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": "e2e-redis-1" },
      body: JSON.stringify({ kind: "liveness", subject: "user-e2e" }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; authToken: string };
    const device = await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "realface" });
    expect(device.status).toBe(200);
    expect(await first.stop("SIGTERM")).toBe(0);

    const second = start(env);
    const [, api2] = await second.waitFor(listening);
    const read = await fetch(`${api2!}/v1/sessions/${session.id}`, { headers });
    expect(read.status, await read.clone().text()).toBe(200);
    expect(await read.json()).toMatchObject({ id: session.id, subject: "user-e2e", status: "succeeded" });
    const completed = await fetch(`${api2!}/v1/sessions/${session.id}/complete`, {
      method: "POST",
      headers,
      body: JSON.stringify({ clientDigest: device.body.digest }),
    });
    expect(((await completed.json()) as { decision: { outcome: string } }).decision.outcome).toBe("approved");
    // The idempotent replay comes back from Redis, sealed there, with the same token.
    const replay = await fetch(`${api2!}/v1/sessions`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": "e2e-redis-1" },
      body: JSON.stringify({ kind: "liveness", subject: "user-e2e" }),
    });
    expect(((await replay.json()) as { authToken: string }).authToken).toBe(session.authToken);
    expect(await second.stop("SIGTERM")).toBe(0);

    const output = first.output() + second.output();
    // Trace level was on, so every line any level writes was written; none of them holds a secret.
    // One access line per request, four requests.
    expect(output.match(/"msg":"request completed"/g)).toHaveLength(4);
    for (const secret of secretsOf([API_KEY, FACE_KEY, session.authToken, redis().url])) expect(output).not.toContain(secret);
  }, 60_000);
});
