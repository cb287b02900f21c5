/**
 * The typed client against the real server (buildApp, listening on port 0) and the real Face emulator (port 0),
 * as a backend would use it: both kinds of session, the device played on the emulator, long-poll, completion,
 * ETags, webhook deliveries and redelivery, the audit trail, deletion, and errors as LsoApiError.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENTS, startStack, type TestStack } from "../../../test/helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../../../test/helpers/emulator-client.js";
import { makeTestJpeg } from "../../../test/helpers/emulator-images.js";
import { SECRET_NEW } from "../../../test/webhooks/webhook-kit.js";
import { WebhookReceiver } from "../../../test/webhooks/webhook-receiver.js";
import { createLsoClient, LsoApiError, verifyWebhook, type LsoClient } from "../src/index.js";

let stack: TestStack;
let receiver: WebhookReceiver;
let origin: string;
let client: LsoClient;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  // No background watcher: every Face read in this file is one the client's calls caused, so the count below is ours.
  stack = await startStack({ WEBHOOK_SECRET: SECRET_NEW, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", SESSION_WATCH_INTERVAL_MS: "0" });
  await stack.app.listen({ port: 0, host: "127.0.0.1" });
  origin = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  client = createLsoClient({ baseUrl: origin, apiKey: CLIENTS.acme.key });
});
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

/** Lets the decided event reach the webhook outbox, then sends what is due. */
async function deliverDue(): Promise<void> {
  await stack.app.sessionEvents.drain();
  await stack.app.webhooks.runDue();
  await stack.app.sessionEvents.drain();
}

describe("the typed client, whole flow", () => {
  it("when a backend drives a liveness and a verify session from create to delete, then each step answers as documented", { timeout: 60_000 }, async () => {
    stack.emulator.state.resetRequestCounts();

    // Create, JSON, with a webhook and an idempotency key: a retry gets the same session back.
    const request = { kind: "liveness" as const, subject: "user-7", callbackUrl: receiver.url() };
    const liveness = await client.createSession(request, { idempotencyKey: "flow-liveness-1" });
    expect(liveness).toMatchObject({ kind: "liveness", authToken: expect.any(String) });
    expect((await client.createSession(request, { idempotencyKey: "flow-liveness-1" })).id).toBe(liveness.id);

    // Create, multipart, with the reference image as a file part.
    const verify = await client.createVerifySession({ kind: "livenessWithVerify", subject: "user-8", authTokenTtlSeconds: 300 }, makeTestJpeg());
    expect(verify).toMatchObject({ kind: "livenessWithVerify", authToken: expect.any(String) });

    // A long-poll waits while the device shows a real face and the backend completes with the device's digest.
    const waiting = client.getSession(liveness.id, { waitSeconds: 15 });
    const device = await emulatorDeviceAttempt(stack.emulator.url, "liveness", liveness.authToken, { livenessDecision: "realface" });
    const completed = await client.completeSession(liveness.id, device.body.digest!);
    expect(completed.decision.outcome).toBe("approved");
    expect((await waiting).decision.outcome).toBe("approved");

    const verifyDevice = await emulatorDeviceAttempt(stack.emulator.url, "livenessWithVerify", verify.authToken, { livenessDecision: "realface", matchConfidence: 0.9 });
    expect((await client.completeSession(verify.id, verifyDevice.body.digest!)).decision.outcome).toBe("approved");

    // Reading the decision again: an ETag, then 304 while nothing changed.
    const read = await client.getSessionIfChanged(verify.id, '"an-old-etag"');
    expect(read).toMatchObject({ changed: true, session: { id: verify.id, decision: { outcome: "approved" } } });
    expect(await client.getSessionIfChanged(verify.id, read.etag)).toEqual({ changed: false, etag: read.etag });

    // The session.decided webhook, its delivery log, and a redelivery with the same webhook id.
    await deliverDue();
    const events = await client.listSessionEvents(liveness.id, { limit: 1 });
    expect(events.deliveries.map((d) => [d.state, d.event.data.sessionId, d.event.data.decision.outcome])).toEqual([["delivered", liveness.id, "approved"]]);
    expect(events.nextCursor).toBeNull();
    const redelivery = await client.redeliverWebhook(liveness.id);
    expect(redelivery).toMatchObject({ webhookId: events.deliveries[0]!.webhookId, series: 2 });
    await deliverDue();
    expect(receiver.received.map((hook) => (hook.json.data as { sessionId: string }).sessionId)).toEqual([liveness.id, liveness.id]);
    // The client's own verifier accepts the server's real deliveries, and refuses them under another secret.
    for (const hook of receiver.received) {
      expect(verifyWebhook({ body: hook.body, headers: hook.headers, secrets: [SECRET_NEW] }).data.sessionId).toBe(liveness.id);
      expect(() => verifyWebhook({ body: hook.body, headers: hook.headers, secrets: ["whsec_" + Buffer.alloc(32, 7).toString("base64")] })).toThrow();
    }

    const listed = await client.listSessions({ kind: "liveness", limit: 5 });
    expect(listed.items.map((item) => item.id)).toEqual([liveness.id]);
    expect(listed.nextCursor).toBeNull();

    const audit = await client.getSessionAudit(liveness.id);
    expect(audit.entries.map((entry) => entry.event)).toEqual(expect.arrayContaining(["created", "tokenIssued", "attemptSeen", "decided", "webhookDelivered"]));

    await client.deleteSession(liveness.id);
    await client.deleteSession(verify.id);
    await expect(client.getSession(liveness.id)).rejects.toMatchObject({ status: 404, code: "LSO_ERR_SESSION_NOT_FOUND" });

    // Face's quota is scarce: one create per session (the idempotent retry made none), a few reads (the long-poll
    // loop's among them), one delete each, plus the two device attempts.
    const counts = stack.emulator.state.requestCounts();
    expect([counts.createLivenessSession, counts.createLivenessWithVerifySession]).toEqual([1, 1]);
    expect([counts.deleteLivenessSession, counts.deleteLivenessWithVerifySession]).toEqual([1, 1]);
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    expect(total, JSON.stringify(counts)).toBeLessThanOrEqual(20);
  });

  it("when the server refuses a request, then LsoApiError carries its status, code, fields and request id, never the key", async () => {
    const strangerKey = "not-a-key-of-anyone-0123456789";
    const stranger = createLsoClient({ baseUrl: origin, apiKey: strangerKey });
    const unauthorized = await stranger.getSessionAudit("7b4b6f5e-8f7a-4a57-9f2e-0f6c2b3f8a11").catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(LsoApiError);
    expect(unauthorized).toMatchObject({ status: 401, code: "LSO_ERR_UNAUTHORIZED", requestId: expect.any(String) });
    // An error is often logged whole by the caller: it must not carry the key that was sent.
    expect(`${String(unauthorized)} ${JSON.stringify(unauthorized)} ${(unauthorized as Error).stack}`).not.toContain(strangerKey);

    const invalid = await client.createSession({ kind: "liveness", authTokenTtlSeconds: 5 }).catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 400, code: "LSO_ERR_VALIDATION", fields: [expect.objectContaining({ path: expect.stringContaining("authTokenTtlSeconds") })] });
  });
});
