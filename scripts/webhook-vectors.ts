/**
 * Signed webhook test vectors, exactly as committed under docs/webhooks/vectors.json: fixed inputs, and each
 * expected webhook-signature computed by our signer. Receivers in any language can check their verifier against
 * them; a test checks that the standardwebhooks library verifies every one and that our signer still produces them.
 */
import { createHash } from "node:crypto";
import { webhookIdFor } from "../src/webhooks/webhook-dispatcher.js";
import { webhookEventSchema, type WebhookEvent } from "../src/webhooks/webhook-schemas.js";
import { signatureHeader } from "../src/webhooks/webhook-signature.js";

export const VECTORS_PATH = new URL("../docs/webhooks/vectors.json", import.meta.url);

export interface WebhookVector {
  name: string;
  /** The receiver's secrets, newest first; the header carries one signature per secret, in this order. */
  secrets: string[];
  id: string;
  /** Unix seconds: the webhook-timestamp header. */
  timestamp: number;
  /** The raw body, exactly as sent (UTF-8 on the wire). */
  body: string;
  /** The expected webhook-signature header. */
  signature: string;
  note?: string;
}

/** The Standard Webhooks specification's own example; its signature is published, so a test checks our signer against it. */
const REFERENCE_VECTOR = { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: '{"test": 2432232314}' };

/** Fixed, public test keys: 32 bytes each, derived from a label so anyone can re-derive them. Never use them for real. */
const testSecret = (label: string) => `whsec_${createHash("sha256").update(label).digest("base64")}`;
const KEY_A = testSecret("liveness-session-orchestrator webhook test vector key A");
const KEY_B = testSecret("liveness-session-orchestrator webhook test vector key B");
const FORMER_PLAIN_SECRET = "my-former-plain-webhook-secret-0123";

const SESSION_1 = "3b2f6c1e-8a4d-4f7e-9c21-5d0e7a9b1f34";
const SESSION_2 = "c7a91e04-2b5f-4d38-a6e1-0f9d3c8b7e52";
const SESSION_3 = "5e0d2a7c-91b4-4c6f-8e3a-b2f17d9c4a60";

function eventBody(sessionId: string, decidedAt: string, data: Omit<WebhookEvent["data"], "sessionId" | "decision">, decision: Omit<WebhookEvent["data"]["decision"], "decidedAt">): string {
  const event: WebhookEvent = {
    id: webhookIdFor("session.decided", sessionId),
    type: "session.decided",
    createdAt: decidedAt,
    data: { sessionId, ...data, decision: { ...decision, decidedAt } },
  };
  // Through the schema, as the dispatcher does: the vectors show the body receivers really get.
  return JSON.stringify(webhookEventSchema.parse(event));
}

type Input = Omit<WebhookVector, "signature">;

function inputs(): Input[] {
  const approved = eventBody(SESSION_1, "2026-01-01T12:00:05.000Z", { kind: "liveness", subject: "user-42" }, { outcome: "approved", reasons: [] });
  const declined = eventBody(
    SESSION_2,
    "2026-01-01T12:30:00.000Z",
    { kind: "livenessWithVerify", subject: "user-43" },
    { outcome: "declined", reasons: [{ code: "SPOOF_DETECTED" }] },
  );
  const nonAscii = eventBody(SESSION_3, "2026-01-01T13:00:00.000Z", { kind: "liveness", subject: "Zoë Ørsted — 李小龍 🙂" }, { outcome: "review", reasons: [] });
  return [
    { name: "one secret", secrets: [KEY_A], id: webhookIdFor("session.decided", SESSION_1), timestamp: 1767268805, body: approved },
    {
      name: "two secrets while rotating, newest first",
      secrets: [KEY_B, KEY_A],
      id: webhookIdFor("session.decided", SESSION_2),
      timestamp: 1767270600,
      body: declined,
      note: "Two space-separated signatures: the first made with secrets[0] (the new one), the second with secrets[1]. A receiver holding either secret verifies.",
    },
    {
      name: "non-ASCII body",
      secrets: [KEY_A],
      id: webhookIdFor("session.decided", SESSION_3),
      timestamp: 1767272400,
      body: nonAscii,
      note: "The body is signed as its UTF-8 bytes, as sent; verify the raw bytes, never a re-serialised or re-decoded copy.",
    },
    {
      name: "a former plain secret carried over",
      secrets: [`whsec_${Buffer.from(FORMER_PLAIN_SECRET, "utf8").toString("base64")}`],
      id: webhookIdFor("session.decided", SESSION_1),
      timestamp: 1767268805,
      body: approved,
      note: `The key is the UTF-8 bytes of the plain secret "${FORMER_PLAIN_SECRET}": whsec_ + base64 of those bytes keeps the same HMAC key.`,
    },
    {
      name: "Standard Webhooks reference",
      secrets: [REFERENCE_VECTOR.secret],
      id: REFERENCE_VECTOR.id,
      timestamp: REFERENCE_VECTOR.timestamp,
      body: REFERENCE_VECTOR.body,
      note: "The specification's published example; its expected signature is the published one.",
    },
  ];
}

export function buildWebhookVectors(): WebhookVector[] {
  return inputs().map(({ note, ...input }) => ({ ...input, signature: signatureHeader(input.secrets, input.id, input.timestamp, input.body), ...(note && { note }) }));
}

export function renderWebhookVectors(): string {
  const document = {
    description:
      "Signed test vectors for this server's webhooks (Standard Webhooks v1). Signed content: `${id}.${timestamp}.${body}` as UTF-8; " +
      "HMAC-SHA256 with the base64-decoded part of each secret after whsec_; webhook-signature: `v1,<base64>` per secret, space separated. " +
      "Headers to send with each: webhook-id = id, webhook-timestamp = timestamp, webhook-signature = signature. Test keys only: never use them for real. " +
      "Regenerate with `npm run webhook-vectors`.",
    vectors: buildWebhookVectors(),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
