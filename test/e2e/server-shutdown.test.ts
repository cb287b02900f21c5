/**
 * Graceful shutdown of the real server process under load: SIGTERM turns /readyz to 503 at once while requests are
 * still served for SHUTDOWN_DRAIN_DELAY_MS; then the server stops accepting, answers a waiting long-poll with the
 * session's current view, lets a create that is waiting on Face and a webhook attempt that is waiting on its
 * receiver finish, and exits 0. Every request sent gets a whole answer, and the webhook is delivered, not lost.
 *
 * On Redis, a second process then finds the delivery recorded: the state was closed last.
 *
 * What is "in flight" is arranged, not hoped for: the receiver holds its answer until the test sees the drain end,
 * and the emulator holds verify creates (a latency fault) well past it. Order is read from the server's own log.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { redisSource, startRedisServer, type RedisServer } from "../helpers/redis-server.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";

const FACE_KEY = "shutdown-test-face-key-0123456789";
const API_KEY = "shutdown-test-api-key-0123456789";
const WEBHOOK_SECRET = `whsec_${Buffer.from("shutdown-test-webhook-secret-0123").toString("base64")}`;
const headers = { "x-api-key": API_KEY, "content-type": "application/json" };

let server: RunningProcess | undefined;
let emulator: RunningEmulator | undefined;
let receiver: WebhookReceiver | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  await server?.stop("SIGKILL");
  await emulator?.close();
  await receiver?.close();
  await redis?.stop();
  redis = undefined;
});

interface Backend {
  name: string;
  /** Whether a restarted server finds what the stopped one recorded (memory: a restart forgets everything). */
  keepsState: boolean;
  /** The state's variables for the server (Redis: a real redis-server on an ephemeral port). */
  env(): Promise<Record<string, string>>;
}

const backends: Backend[] = [
  { name: "memory", keepsState: false, env: async () => ({ STATE_BACKEND: "memory" }) },
  // With Redis, a second process reads what the first one recorded before it closed the state.
  ...(redisSource
    ? [
        {
          name: "redis",
          keepsState: true,
          env: async () => {
            redis = await startRedisServer();
            return { STATE_BACKEND: "redis", REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix(), STATE_ENCRYPTION_KEY: randomBytes(32).toString("base64") };
          },
        },
      ]
    : []),
];

/** One request, read to its end: a whole answer (status and a parsed JSON body), or the reason there was none. */
async function send(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> } | { failed: string }> {
  try {
    const response = await fetch(url, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch (error) {
    return { failed: `${init.method ?? "GET"} ${url}: ${String(error)}` };
  }
}

/** The answer of a request that had to get one. */
function answered(result: Awaited<ReturnType<typeof send>>): { status: number; body: Record<string, unknown> } {
  if ("failed" in result) throw new Error(result.failed);
  return result;
}

/** Index in the log of the first line matching all of `parts` (-1 when there is none). */
const lineIndex = (output: string, ...parts: string[]) => output.split("\n").findIndex((line) => parts.every((part) => line.includes(part)));

describe.each(backends)("SIGTERM under load ($name state)", { timeout: 90_000 }, (backend) => {
  it("when the server is told to stop mid-traffic, then no request and no webhook is lost, a waiting long-poll gets the current view, and it exits 0", async () => {
    const stateEnv = await backend.env();
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    receiver = await new WebhookReceiver().start();
    let releaseWebhook!: () => void;
    receiver.replyWith({ status: 200, until: new Promise<void>((resolve) => (releaseWebhook = resolve)) });

    const env = {
      ...stateEnv,
      FACE_ENDPOINT: emulator.url,
      FACE_APIKEY: FACE_KEY,
      API_KEYS: `shutdown:${API_KEY}`,
      WEBHOOK_SECRET,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
      FACE_MAX_TPS: "200",
      RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
      CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000 } }),
      SHUTDOWN_DRAIN_DELAY_MS: "1500",
      SHUTDOWN_TIMEOUT_MS: "30000",
      LOG_LEVEL: "info",
    };
    server = startNodeProcess("src/server.ts", env);
    const [, api] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/);

    // A settled session whose webhook the receiver holds open: in flight until the test lets it go.
    const withHook = await send(`${api}/v1/sessions`, { method: "POST", headers, body: JSON.stringify({ kind: "liveness", callbackUrl: receiver.url() }) });
    expect(withHook).toMatchObject({ status: 201 });
    const hooked = answered(withHook).body as { id: string; authToken: string };
    const device = await emulatorDeviceAttempt(emulator.url, "liveness", hooked.authToken, { livenessDecision: "realface" });
    const completed = await send(`${api}/v1/sessions/${hooked.id}/complete`, { method: "POST", headers, body: JSON.stringify({ clientDigest: device.body.digest }) });
    expect(completed).toMatchObject({ status: 200, body: { decision: { outcome: "approved" } } });
    await expect.poll(() => receiver!.received.length, { timeout: 10_000 }).toBe(1);

    // A long-poll waiting on a session nobody plays: it must be answered with the view as it is, not cut.
    const waiting = await send(`${api}/v1/sessions`, { method: "POST", headers, body: JSON.stringify({ kind: "liveness" }) });
    const waitingId = answered(waiting).body.id as string;
    const longPoll = send(`${api}/v1/sessions/${waitingId}?waitSeconds=25`, { headers: { ...headers, "x-request-id": "long-poll-1" } });

    // Traffic: creates and reads from four callers until the "balancer" sees the replica not ready.
    let balancerNoticed = false;
    const answers: Array<Awaited<ReturnType<typeof send>>> = [];
    const caller = async () => {
      while (!balancerNoticed) {
        const created = await send(`${api}/v1/sessions`, { method: "POST", headers, body: JSON.stringify({ kind: "liveness" }) });
        answers.push(created);
        if ("body" in created && typeof created.body.id === "string") answers.push(await send(`${api}/v1/sessions/${created.body.id}`, { headers }));
      }
    };
    const callers = Array.from({ length: 4 }, caller);
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThan(8);

    // A verify create that Face (the emulator) holds for 4 s: sent now, it is still waiting when the server closes.
    emulator.state.faults.set([{ fault: "latency", ms: 4000, operations: ["createLivenessWithVerifySession"] }]);
    server.child.kill("SIGTERM");
    const slowCreate = send(`${api}/v1/sessions`, {
      method: "POST",
      headers: { ...headers, "x-request-id": "slow-create-1" },
      body: JSON.stringify({ kind: "livenessWithVerify", verifyImage: makeTestJpeg().toString("base64") }),
    });

    // Not ready at once, while still serving: the balancer's cue.
    await expect.poll(async () => (await fetch(`${api}/readyz`)).status, { timeout: 10_000 }).toBe(503);
    balancerNoticed = true;
    await Promise.all(callers);

    // The drain delay ends and the server stops accepting; only then does the receiver answer the webhook.
    await server.waitFor(/drain delay over/);
    releaseWebhook();

    expect(await slowCreate).toMatchObject({ status: 201, body: { kind: "livenessWithVerify" } });
    expect(await longPoll).toMatchObject({ status: 200, body: { id: waitingId, decision: { outcome: "pending" } } });
    expect(answers.filter((a) => "failed" in a)).toEqual([]);
    expect(answers.filter((a) => "status" in a && ![200, 201].includes(a.status))).toEqual([]);
    expect(await server.exited).toBe(0);

    const output = server.output();
    const drainOver = lineIndex(output, "drain delay over");
    // The slow create and the long-poll were answered after the server stopped accepting, and before it finished.
    expect(lineIndex(output, '"reqId":"slow-create-1"', "request completed")).toBeGreaterThan(drainOver);
    expect(lineIndex(output, '"reqId":"long-poll-1"', "request completed")).toBeGreaterThan(drainOver);
    // The webhook attempt finished and was recorded as delivered, once.
    expect(lineIndex(output, '"msg":"webhook delivered"')).toBeGreaterThan(drainOver);
    expect(receiver.received).toHaveLength(1);
    expect(lineIndex(output, "shutdown complete")).toBeGreaterThan(lineIndex(output, '"msg":"webhook delivered"'));

    expect(output).not.toContain("a shutdown step failed");

    // The state was closed last, after the delivery was recorded: on Redis the next process finds it delivered
    // (and does not send it again); on memory the restart forgets the session, as documented.
    server = startNodeProcess("src/server.ts", env);
    const [, next] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/);
    const events = await send(`${next}/v1/sessions/${hooked.id}/events`, { headers });
    expect(events).toMatchObject(backend.keepsState ? { status: 200, body: { deliveries: [{ state: "delivered" }] } } : { status: 404 });
    expect(receiver.received).toHaveLength(1);
  });
});
