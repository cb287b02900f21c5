/**
 * The log-secrecy run on Redis: a password-protected redis-server, the app at trace level, a session's whole life,
 * an outage and the recovery. Neither the Redis password (nor the URL that holds it) nor STATE_ENCRYPTION_KEY may
 * appear in any line, as the caller's key and the session's token may not. test/sessions/session-secrets.test.ts is
 * the same check on the memory state; test/e2e/server-redis.test.ts on the server process's own lines.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { systemClock } from "../../../src/lib/clock.js";
import { createLogger } from "../../../src/logger.js";
import { openRedisState } from "../../../src/state/redis/redis-state.js";
import { auth, CapturedLogs, CLIENTS, createSession, FACE_KEY, startStack, type TestStack } from "../../helpers/app-harness.js";
import { emulatorDeviceAttempt, rawMultipart } from "../../helpers/emulator-client.js";
import { makeTestJpeg } from "../../helpers/emulator-images.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";

const PASSWORD = "log-secrets-redis-password-0123";
const STATE_KEY = randomBytes(32);

describeRedis("secrets stay out of the logs on Redis", () => {
  // AOF on: the session created before the outage must still be there after it.
  const server = useRedisServer({ password: PASSWORD, appendOnly: true });
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

  it("when a session runs its whole life at trace level through an outage and back, then no line holds the password, the key, a token or an API key", async () => {
    const image = makeTestJpeg({ minBytes: 8192 });
    const form = rawMultipart([
      { name: "kind", value: "livenessWithVerify" },
      { name: "verifyImage", value: image, filename: "me.jpg" },
    ]);
    const created = await stack.app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { ...auth(), "idempotency-key": "log-secrets-1", "content-type": form.contentType },
      payload: form.body,
    });
    expect(created.statusCode, created.body).toBe(201);
    const session = created.json() as { id: string; authToken: string };
    const device = await emulatorDeviceAttempt(stack.emulator.url, "livenessWithVerify", session.authToken, { livenessDecision: "realface" });
    expect(device.status).toBe(200);

    await server().halt();
    await vi.waitFor(async () => expect((await stack.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503), { timeout: 10_000 });
    const during = await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}`, headers: auth() });
    expect(during.statusCode).toBe(503);
    await server().resume();
    await vi.waitFor(async () => expect((await stack.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200), { timeout: 15_000, interval: 100 });

    const completed = await stack.app.inject({ method: "POST", url: `/v1/sessions/${session.id}/complete`, headers: auth(), payload: { clientDigest: device.body.digest } });
    expect(completed.json().decision?.outcome, completed.body).toBe("approved");
    expect((await createSession(stack.app, { kind: "liveness" }, "globex")).statusCode).toBe(201);
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(204);

    const text = logs.text;
    // Every part of the run logged, the outage included.
    expect(text).toMatch(/"msg":"Redis connection lost/);
    expect(text).toMatch(/"msg":"Redis connection restored"/);
    expect(text).toMatch(/"msg":"request failed: state unavailable"/);
    expect(text).toMatch(/"msg":"Providing options to busboy"/);
    const secrets = [PASSWORD, server().url, STATE_KEY.toString("base64"), STATE_KEY.toString("hex"), session.authToken, CLIENTS.acme.key, CLIENTS.globex.key, FACE_KEY];
    for (const secret of secrets) expect(text, `a secret of ${secret.length} chars is in the logs`).not.toContain(secret);
    for (const secret of secrets) expect(during.body).not.toContain(secret);
  });
});
