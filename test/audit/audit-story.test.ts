/**
 * Whole sessions through the real stack (API → Face emulator → webhook receiver), with the event bus the core
 * emits on: the trail tells the story in order and holds no token, key, image, digest or callback query.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/state/audit-log.js";
import type { SessionEvent } from "../../src/state/session-events.js";
import { auth, CLIENTS, createSession, FACE_KEY } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";
import { startAuditStack, type AuditStack } from "./audit-kit.js";

const WEBHOOK_SECRET = `whsec_${Buffer.from("audit-story-webhook-secret-0123456789").toString("base64")}`;
let stack: AuditStack;
let receiver: WebhookReceiver;
const emitted: SessionEvent[] = [];
beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  stack = await startAuditStack({ env: { WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } });
  stack.bus.subscribe((event) => void emitted.push(event));
});
afterAll(async () => {
  await stack.close();
  await receiver.close();
});

/** Distinctive slices of binary data as they could appear in JSON: base64 and hex. */
function traces(bytes: Buffer): string[] {
  const middle = bytes.subarray(bytes.length / 2, bytes.length / 2 + 48);
  return [middle.toString("base64").slice(4, 40), middle.toString("hex"), bytes.toString("base64").slice(0, 60)];
}

/** Background work (delete at Face after the webhook) runs on real timers: wait for it, boundedly. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(check()).toBe(true);
}

const storedTrail = (id: string): Promise<AuditEntry[]> => stack.auditLog.list(id, 1000);

describe("the audit trail of a whole session", () => {
  it("when a session runs create → device → GET → complete → webhook → deleted at Face → DELETE, then the trail tells it in order, until the record is gone", async () => {
    const callbackUrl = receiver.url("/hooks/liveness?token=receiver-query-secret-123");
    const created = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", subject: "subject-ref-42", enableSessionImage: true, callbackUrl });
    expect(created.statusCode).toBe(201);
    const session = created.json();
    const device = await emulatorDeviceAttempt(stack.emulator.url, "liveness", session.authToken, { livenessDecision: "realface" });
    // GET sees the attempt; without the device's digest the decision stays pending (requireClientDigest).
    expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}`, headers: auth() })).json().decision.outcome).toBe("pending");
    const completed = await stack.app.inject({ method: "POST", url: `/v1/sessions/${session.id}/complete`, headers: auth(), payload: { clientDigest: device.body.digest } });
    expect(completed.json().decision.outcome).toBe("approved");
    // The caller has read the decision, so the core deletes the session at Face in the background, while the
    // decision's webhook goes out (the worker is kicked at once): those two run side by side.
    await stack.app.webhooks.runDue();
    const happened = (type: SessionEvent["type"]) => emitted.some((e) => e.sessionId === session.id && e.type === type);
    await eventually(() => happened("deletedAtFace") && happened("webhookDelivered"));
    await stack.bus.drain();

    // Deleted at Face after its decision, the record remains: the trail is readable, and mirrors every event.
    const res = await stack.readAudit(session.id);
    expect(res.statusCode).toBe(200);
    const { entries } = res.json() as { entries: AuditEntry[] };
    const events = emitted.filter((e) => e.sessionId === session.id);
    expect(entries.map((e) => [e.event, e.actor])).toEqual(events.map((e) => [e.type, e.actor]));
    const webhookEntry = entries.find((e) => e.event === "webhookDelivered");
    expect(entries.indexOf(webhookEntry!)).toBeGreaterThan(entries.findIndex((e) => e.event === "decided"));
    const story = entries.filter((e) => e !== webhookEntry);
    expect(story.map((e) => e.event)).toEqual(["created", "tokenIssued", "attemptSeen", "decided", "imageRetained", "deletedAtFace"]);
    const [createdEntry, tokenEntry, attemptEntry, decidedEntry, imageEntry, deletedEntry] = story;
    expect(createdEntry).toMatchObject({ actor: "acme", kind: "liveness", callbackOrigin: new URL(callbackUrl).origin, faceRequestId: expect.any(String) });
    expect(tokenEntry).toEqual({ at: session.createdAt, event: "tokenIssued", actor: "acme", faceRequestId: createdEntry!.faceRequestId, tokenExpiresAt: session.authTokenExpiresAt });
    expect(attemptEntry).toMatchObject({ attemptId: 1, attemptStatus: "Succeeded" });
    expect(decidedEntry).toMatchObject({ outcome: "approved", digestCheck: "match" });
    expect(imageEntry).toMatchObject({ retainUntil: expect.any(String), faceRequestId: expect.any(String) });
    expect(deletedEntry).toMatchObject({ faceRequestId: expect.any(String) });
    expect(webhookEntry).toMatchObject({ actor: "system", webhookId: expect.any(String), webhookAttempt: 1, httpStatus: 200 });
    expect((await stack.readAudit(session.id, "globex")).statusCode).toBe(404);

    // The caller's DELETE forgets the record: the trail answers 404, and the event that follows (imageDeleted)
    // finds no record and forgets the trail too.
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(204);
    await stack.bus.drain();
    expect((await stack.readAudit(session.id)).statusCode).toBe(404);
    expect(emitted.at(-1)).toMatchObject({ sessionId: session.id, type: "imageDeleted" });
    expect(await storedTrail(session.id)).toEqual([]);

    const secrets = [session.authToken, device.body.digest!, FACE_KEY, CLIENTS.acme.key, WEBHOOK_SECRET, "subject-ref-42", "receiver-query-secret-123", "/hooks/liveness"];
    for (const secret of secrets) expect(res.body, `a secret of ${secret.length} chars is in the audit trail`).not.toContain(secret);
  });

  it("when verify and session-image sessions run with real images, then no image byte, token or digest reaches their trails", async () => {
    const image = makeTestJpeg({ minBytes: 8192 });
    const verify = (await createSession(stack.app, { kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: image.toString("base64") })).json();
    const liveness = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    const secrets = [FACE_KEY, CLIENTS.acme.key, CLIENTS.globex.key, ...traces(image)];
    for (const [session, kind] of [[verify, "livenessWithVerify"], [liveness, "liveness"]] as const) {
      secrets.push(session.authToken);
      const device = await emulatorDeviceAttempt(stack.emulator.url, kind, session.authToken, { livenessDecision: "realface" });
      secrets.push(device.body.digest!);
      expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(200);
    }
    const sessionImage = await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}/image`, headers: auth() });
    expect(sessionImage.statusCode).toBe(200);
    secrets.push(...traces(sessionImage.rawPayload));
    await stack.bus.drain();

    const bodies = [];
    for (const session of [verify, liveness]) {
      const res = await stack.readAudit(session.id);
      expect(res.json().entries.map((e: AuditEntry) => e.event)).toEqual(expect.arrayContaining(["created", "tokenIssued", "attemptSeen"]));
      bodies.push(res.body);
    }
    for (const secret of secrets) expect(bodies.join("\n"), `a secret of ${secret.length} chars is in the audit trail`).not.toContain(secret);
  });

  it("when an emitter attaches a real run's token, image and keys to events outside their allow-listed fields, then none reaches the trail", async () => {
    const image = makeTestJpeg({ minBytes: 8192 });
    const session = (await createSession(stack.app, { kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: image.toString("base64") })).json();
    const device = await emulatorDeviceAttempt(stack.emulator.url, "livenessWithVerify", session.authToken, { livenessDecision: "realface" });
    const secrets = [session.authToken, device.body.digest!, FACE_KEY, CLIENTS.acme.key, ...traces(image)];
    const leak = { authToken: session.authToken, digest: device.body.digest, apiKey: CLIENTS.acme.key, faceKey: FACE_KEY, verifyImage: image.toString("base64") };
    // A session of its own, so only these events land in its trail (the core emits for `session` as well).
    const target = await stack.plantSession();
    const base = { sessionId: target.id, clientId: "acme", at: stack.clock.now(), actor: "acme", ...leak };
    const callbackUrl = `https://hooks.example.com/cb/${session.authToken}?token=${session.authToken}&key=${CLIENTS.acme.key}`;
    const events = [
      { ...base, type: "created", kind: "livenessWithVerify", subject: session.authToken, callbackUrl },
      { ...base, type: "tokenIssued", authTokenExpiresAt: Date.parse(session.authTokenExpiresAt) },
      { ...base, type: "attemptSeen", attemptId: 1, attemptStatus: "succeeded" },
      {
        ...base,
        type: "decided",
        decision: { outcome: "approved", reasons: [{ code: "LIVE", advice: `token ${session.authToken}` }], decidedAt: null },
        digestCheck: "match",
      },
      { ...base, type: "webhookFailed", webhookId: "wh-1", attempt: 1, final: false, error: `POST ${callbackUrl} failed: ECONNRESET` },
      { ...base, type: "deletedAtFace" },
    ] as unknown as SessionEvent[];
    for (const event of events) stack.bus.emit(event);
    await stack.bus.drain();

    const res = await stack.readAudit(target.id);
    expect(res.statusCode).toBe(200);
    const trail = await storedTrail(target.id);
    expect(trail.map((e) => e.event)).toEqual(events.map((e) => e.type));
    expect(trail.find((e) => e.event === "created")?.callbackOrigin).toBe("https://hooks.example.com");
    for (const text of [res.body, JSON.stringify(trail)]) {
      for (const secret of secrets) expect(text, `a secret of ${secret.length} chars is in the audit trail`).not.toContain(secret);
    }
  });
});
