/**
 * The receiver's helper against Standard Webhooks signatures made here with node:crypto alone (the spec's recipe:
 * HMAC-SHA256 with the base64-decoded whsec_ key over `id.timestamp.body`, sent as `v1,<base64>`), so the helper is
 * checked against the format, not against the library it delegates to.
 */
import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "../src/webhook-verify.js";

const newSecret = () => {
  const key = randomBytes(32);
  return { key, secret: `whsec_${key.toString("base64")}` };
};

const sign = (key: Buffer, id: string, timestamp: number, body: string) => `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;

const event = {
  id: "evt_0123456789abcdef",
  type: "session.decided",
  createdAt: "2026-01-01T12:00:05.000Z",
  data: { sessionId: "7b4b6f5e-8f7a-4a57-9f2e-0f6c2b3f8a11", kind: "liveness", decision: { outcome: "approved", reasons: [], decidedAt: "2026-01-01T12:00:05.000Z" } },
};
const body = JSON.stringify(event);
const now = () => Math.floor(Date.now() / 1000);

function signed(key: Buffer, options: { timestamp?: number; body?: string } = {}) {
  const timestamp = options.timestamp ?? now();
  return { "webhook-id": event.id, "webhook-timestamp": String(timestamp), "webhook-signature": sign(key, event.id, timestamp, options.body ?? body) };
}

describe("verifyWebhook", () => {
  it("when the signature is the sender's over this body, then the event is returned", () => {
    const { key, secret } = newSecret();
    expect(verifyWebhook({ body, headers: signed(key), secrets: secret })).toEqual(event);
  });

  it("when the headers come as a fetch Headers object or in other letter cases, then they are read all the same", () => {
    const { key, secret } = newSecret();
    const upper = Object.fromEntries(Object.entries(signed(key)).map(([name, value]) => [name.toUpperCase(), value]));
    expect(verifyWebhook({ body, headers: new Headers(signed(key)), secrets: secret })).toEqual(event);
    expect(verifyWebhook({ body, headers: upper, secrets: secret })).toEqual(event);
  });

  it("when the body was changed after signing, then it is refused", () => {
    const { key, secret } = newSecret();
    const tampered = body.replace("approved", "declined");
    expect(() => verifyWebhook({ body: tampered, headers: signed(key), secrets: secret })).toThrow(WebhookVerificationError);
  });

  it("when another secret signed it, then it is refused", () => {
    const { key } = newSecret();
    expect(() => verifyWebhook({ body, headers: signed(key), secrets: newSecret().secret })).toThrow(WebhookVerificationError);
  });

  it("when the timestamp is ten minutes old (a replay), then it is refused even with a valid signature", () => {
    const { key, secret } = newSecret();
    expect(() => verifyWebhook({ body, headers: signed(key, { timestamp: now() - 600 }), secrets: secret })).toThrow(WebhookVerificationError);
  });

  it("when a header is missing, then it is refused", () => {
    const { key, secret } = newSecret();
    const { "webhook-id": _id, ...withoutId } = signed(key);
    expect(() => verifyWebhook({ body, headers: withoutId, secrets: secret })).toThrow(WebhookVerificationError);
  });

  it("when the secret rotates, then a request signed by either the old or the new one is accepted by a receiver holding both", () => {
    const old = newSecret();
    const next = newSecret();
    const timestamp = now();
    const byOld = signed(old.key, { timestamp });
    const byBoth = { ...byOld, "webhook-signature": `${sign(next.key, event.id, timestamp, body)} ${byOld["webhook-signature"]}` };
    expect(verifyWebhook({ body, headers: byOld, secrets: [next.secret, old.secret] })).toEqual(event);
    expect(verifyWebhook({ body, headers: byBoth, secrets: [next.secret] })).toEqual(event);
    expect(() => verifyWebhook({ body, headers: byOld, secrets: [] })).toThrow(WebhookVerificationError);
  });
});
