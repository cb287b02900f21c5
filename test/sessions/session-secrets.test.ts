/**
 * A whole session run at the most verbose log level leaves no secret, token or image byte in logs or error bodies:
 * on the memory state, and on a password-protected Redis (whose password and STATE_ENCRYPTION_KEY join the secrets),
 * through an outage and back. test/e2e/server-redis.test.ts checks the same of the server process's own lines.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { systemClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { auth, CapturedLogs, CLIENTS, createSession, FACE_KEY, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt, rawMultipart } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";

const REDIS_PASSWORD = "session-secrets-redis-password";
const STATE_KEY = randomBytes(32);

/** Distinctive slices of a binary payload as it could appear in a log: base64, hex, latin1. */
function traces(bytes: Buffer): string[] {
  const middle = bytes.subarray(bytes.length / 2, bytes.length / 2 + 48);
  return [middle.toString("base64").slice(4, 40), middle.toString("hex"), bytes.toString("base64").slice(0, 60)];
}

/** Create → device → result → image → delete for both kinds, plus error paths; returns what must not be logged. */
async function wholeRun(stack: TestStack, logs: CapturedLogs, extraSecrets: string[]): Promise<void> {
  {
    const image = makeTestJpeg({ minBytes: 8192 });
    const secrets: string[] = [FACE_KEY, CLIENTS.acme.key, CLIENTS.globex.key, ...traces(image), ...extraSecrets];
    const errorBodies: string[] = [];

    const liveness = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    const verifyJson = (await createSession(stack.app, { kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: image.toString("base64") })).json();
    const form = rawMultipart([{ name: "kind", value: "livenessWithVerify" }, { name: "verifyImage", value: image, filename: "me.jpg" }]);
    const verifyForm = (
      await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "content-type": form.contentType }, payload: form.body })
    ).json();

    for (const [session, kind] of [[liveness, "liveness"], [verifyJson, "livenessWithVerify"], [verifyForm, "livenessWithVerify"]] as const) {
      expect(session.authToken).toBeTruthy();
      secrets.push(session.authToken);
      await emulatorDeviceAttempt(stack.emulator.url, kind, session.authToken, { livenessDecision: "realface" });
      expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(200);
    }
    const sessionImage = await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}/image`, headers: auth() });
    expect(sessionImage.statusCode).toBe(200);
    secrets.push(...traces(sessionImage.rawPayload));

    // Error paths that see a secret: a wrong key, another client, a bad image.
    errorBodies.push((await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}`, headers: { "x-api-key": `${CLIENTS.acme.key}x` } })).body);
    errorBodies.push((await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}`, headers: auth("globex") })).body);
    errorBodies.push((await createSession(stack.app, { kind: "livenessWithVerify", verifyImage: image.subarray(0, 900).toString("base64") })).body);

    for (const session of [liveness, verifyJson, verifyForm]) {
      expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(204);
    }

    const text = logs.text;
    expect(logs.lines.length).toBeGreaterThan(30);
    for (const secret of secrets) {
      expect(text, `a secret of ${secret.length} chars is in the logs`).not.toContain(secret);
      for (const body of errorBodies) expect(body).not.toContain(secret);
    }
    expect(text).not.toContain(`${CLIENTS.acme.key}x`);
  }
}

describe("secrets stay out of logs and error bodies", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ LOG_LEVEL: "trace" });
  });
  afterAll(async () => stack.close());

  it("when a create → device → result → image → delete run happens for both kinds, then no secret reaches the logs", async () => {
    await wholeRun(stack, stack.logs, []);
  });
});

describeRedis("secrets stay out of logs and error bodies on Redis", () => {
  const server = useRedisServer({ password: REDIS_PASSWORD });
  const logs = new CapturedLogs();
  let stack: TestStack;
  beforeAll(async () => {
    const logger = createLogger("trace", logs.stream);
    const state = await openRedisState(
      server().url,
      { keyPrefix: server().keyPrefix(), encryptionKeys: [STATE_KEY], connection: { log: logger.child({ component: "state" }) } },
      systemClock,
    );
    stack = await startStack({ LOG_LEVEL: "trace" }, { state, logger });
  });
  afterAll(async () => stack?.close());

  it("when the same run happens on a password-protected Redis, and Redis goes away and comes back, then neither the password nor the key is logged", async () => {
    const secrets = [REDIS_PASSWORD, STATE_KEY.toString("base64"), STATE_KEY.toString("hex"), server().url];
    await server().halt();
    const during = await stack.app.inject({ method: "GET", url: "/v1/sessions/6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", headers: auth() });
    expect(during.statusCode).toBe(503);
    await server().resume();
    await vi.waitFor(async () => expect((await stack.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200), { timeout: 15_000, interval: 100 });
    expect(logs.text).toMatch(/Redis connection lost/);
    expect(logs.text).toMatch(/Redis connection restored/);
    await wholeRun(stack, logs, [...secrets, during.body]);
  });
});
