/**
 * Whole session runs at the most verbose log level (trace, in the API and in the emulator) leave no secret, token or
 * image byte in logs or error bodies: JSON and multipart creates, verify sessions, idempotent replays, webhooks, and
 * the query string of a caller that put its key in the URL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionEventBus } from "../../src/state/session-events.js";
import { auth, CLIENTS, createSession, FACE_KEY, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt, rawMultipart } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";

const WEBHOOK_SECRET = `whsec_${Buffer.from("log-test-webhook-key-0123456789").toString("base64")}`;
/** The secret as it could leak: whole, its base64 part, and its key bytes as text and hex. */
const webhookSecretForms = [WEBHOOK_SECRET, WEBHOOK_SECRET.slice(6), "log-test-webhook-key-0123456789", Buffer.from("log-test-webhook-key-0123456789").toString("hex")];

let stack: TestStack;
let receiver: WebhookReceiver;
const bus = new SessionEventBus(() => undefined);
beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  stack = await startStack(
    { LOG_LEVEL: "trace", WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" },
    { events: bus },
    { emulatorLogs: true },
  );
});
afterAll(async () => {
  await stack.close();
  await receiver.close();
});

/** Distinctive slices of a binary payload as it could appear in a log: base64, hex, latin1. */
function traces(bytes: Buffer): string[] {
  const middle = bytes.subarray(bytes.length / 2, bytes.length / 2 + 48);
  return [middle.toString("base64").slice(4, 40), middle.toString("hex"), bytes.toString("base64").slice(0, 60)];
}

function expectNoSecretInLogs(secrets: string[]): void {
  const logs = stack.logs.text;
  for (const secret of secrets) expect(logs, `a secret of ${secret.length} chars is in the logs`).not.toContain(secret);
}

const multipartCreate = (parts: Parameters<typeof rawMultipart>[0], headers: Record<string, string> = {}) => {
  const form = rawMultipart(parts);
  return stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), ...headers, "content-type": form.contentType }, payload: form.body });
};

describe("secrets stay out of logs and error bodies", () => {
  it("when a create → device → result → image → delete run happens for both kinds, then no secret reaches the logs", async () => {
    const image = makeTestJpeg({ minBytes: 8192 });
    const secrets: string[] = [FACE_KEY, CLIENTS.acme.key, CLIENTS.globex.key, ...traces(image)];
    const errorBodies: string[] = [];

    const liveness = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    const verifyJson = (await createSession(stack.app, { kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: image.toString("base64") })).json();
    const verifyForm = (await multipartCreate([{ name: "kind", value: "livenessWithVerify" }, { name: "verifyImage", value: image, filename: "me.jpg" }])).json();

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

    expect(stack.logs.lines.length).toBeGreaterThan(30);
    expectNoSecretInLogs([...secrets, `${CLIENTS.acme.key}x`]);
    for (const secret of secrets) for (const body of errorBodies) expect(body).not.toContain(secret);
  });

  it("when multipart creates, idempotent replays and a webhook run at trace level, then every component logged and none logged a secret", async () => {
    const image = makeTestJpeg({ minBytes: 8192 });
    const secrets: string[] = [FACE_KEY, CLIENTS.acme.key, CLIENTS.globex.key, ...webhookSecretForms, "receiver-query-secret-123", ...traces(image)];

    // Multipart create with a callback, sent twice under one Idempotency-Key: the second is a replay.
    const parts = [
      { name: "kind", value: "livenessWithVerify" },
      { name: "callbackUrl", value: receiver.url() },
      { name: "verifyImage", value: image, filename: "me.jpg" },
    ];
    const first = await multipartCreate(parts, { "idempotency-key": "log-test-key-1" });
    const replay = await multipartCreate(parts, { "idempotency-key": "log-test-key-1" });
    expect(first.statusCode, first.body).toBe(201);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const session = first.json() as { id: string; authToken: string };
    secrets.push(session.authToken);

    // The device finishes, the caller reads the decision, the webhook goes out.
    const device = await emulatorDeviceAttempt(stack.emulator.url, "livenessWithVerify", session.authToken, { livenessDecision: "realface" });
    const complete = { clientDigest: device.body.digest! };
    const completed = await stack.app.inject({ method: "POST", url: `/v1/sessions/${session.id}/complete`, headers: auth(), payload: complete });
    expect(completed.json().decision.outcome).toBe("approved");
    await bus.drain();
    await stack.app.webhooks.runDue();
    expect(receiver.received).toHaveLength(1);
    const signatures = (receiver.received[0]!.headers["webhook-signature"] as string).split(" ").map((s) => s.replace(/^v1,/, ""));
    expect(signatures.every((s) => s.length === 44)).toBe(true);
    secrets.push(...signatures);

    // The lines that used to carry request headers (the caller's key, and Face's key at the emulator) are there...
    const records = stack.logs.records();
    const busboy = records.filter((r) => r.msg === "Providing options to busboy");
    expect(busboy.filter((r) => r.component === "emulator").length).toBeGreaterThan(0);
    expect(busboy.filter((r) => r.component !== "emulator").length).toBeGreaterThan(0);
    expect(records.some((r) => r.msg === "idempotent create replayed")).toBe(true);
    expect(records.some((r) => r.msg === "webhook delivered")).toBe(true);
    // ...with the secret-bearing headers masked, and nothing else of a secret anywhere.
    for (const line of busboy) {
      const headers = (line.busboyOptions as { headers: Record<string, unknown> }).headers;
      expect(headers["x-api-key"] ?? headers["ocp-apim-subscription-key"]).toBe("[redacted]");
    }
    expectNoSecretInLogs(secrets);
  });

  it("when a caller puts its key in the query string, then the access line names the path without the query", async () => {
    const res = await stack.app.inject({ method: "GET", url: `/v1/sessions/${crypto.randomUUID()}?x-api-key=${CLIENTS.globex.key}&waitSeconds=0&flag` });
    expect(res.statusCode).toBe(401);
    const access = stack.logs.records().filter((r) => r.reqId === res.headers["x-request-id"] && r.msg === "request completed");
    expect(access).toEqual([expect.objectContaining({ method: "GET", path: expect.stringMatching(/^\/v1\/sessions\/[0-9a-f-]{36}$/), status: 401 })]);
    expectNoSecretInLogs([CLIENTS.globex.key]);
  });
});
