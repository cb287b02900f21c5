/**
 * docs/webhooks/vectors.json: every vector verifies with the library receivers use (standardwebhooks), and our
 * signer still produces the committed file byte for byte (run `npm run webhook-vectors` if not).
 */
import { readFileSync } from "node:fs";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { renderWebhookVectors, VECTORS_PATH, type WebhookVector } from "../../scripts/webhook-vectors.js";

const committed = readFileSync(VECTORS_PATH, "utf8");
const vectors = (JSON.parse(committed) as { vectors: WebhookVector[] }).vectors;

const headersOf = (v: WebhookVector, signature = v.signature) => ({ "webhook-id": v.id, "webhook-timestamp": String(v.timestamp), "webhook-signature": signature });

/** The library's verdict at the vector's own time (it judges the timestamp by the wall clock). */
function verdict(v: WebhookVector, secret: string, changes: { body?: string; headers?: Record<string, string> } = {}): unknown {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(v.timestamp * 1000);
  try {
    return new Webhook(secret).verify(changes.body ?? v.body, { ...headersOf(v), ...changes.headers });
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.message;
    throw error;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe("webhook test vectors", () => {
  it("when regenerated with our signer, then they equal the committed file", () => {
    expect(renderWebhookVectors()).toBe(committed);
  });

  it("when listed, then they cover one secret, a two-secret rotation, a non-ASCII body, a carried-over plain secret and the reference", () => {
    expect(vectors.map((v) => v.name)).toEqual([
      "one secret",
      "two secrets while rotating, newest first",
      "non-ASCII body",
      "a former plain secret carried over",
      "Standard Webhooks reference",
    ]);
    expect(vectors[1]!.secrets).toHaveLength(2);
    expect(vectors[2]!.body).toMatch(/[^\x20-\x7e]/);
    expect(Buffer.from(vectors[3]!.secrets[0]!.slice("whsec_".length), "base64").toString("utf8")).toBe("my-former-plain-webhook-secret-0123");
  });

  it("when our signer signs the Standard Webhooks reference example, then it produces the published signature", () => {
    expect(vectors.find((v) => v.name === "Standard Webhooks reference")).toMatchObject({
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it.each(vectors.map((v) => [v.name, v] as const))("when standardwebhooks checks vector %s with each of its secrets, then it verifies", (_name, v) => {
    for (const secret of v.secrets) expect(verdict(v, secret)).toEqual(JSON.parse(v.body));
    // One signature per secret, in the secrets' order.
    const signatures = v.signature.split(" ");
    expect(signatures).toHaveLength(v.secrets.length);
    v.secrets.forEach((secret, i) => expect(verdict(v, secret, { headers: { "webhook-signature": signatures[i]! } })).toEqual(JSON.parse(v.body)));
  });

  it.each(vectors.map((v) => [v.name, v] as const))("when vector %s is altered, then standardwebhooks rejects it", (_name, v) => {
    const secret = v.secrets[0]!;
    expect(verdict(v, secret, { body: `${v.body} ` })).toBe("No matching signature found");
    expect(verdict(v, secret, { headers: { "webhook-id": `${v.id}x` } })).toBe("No matching signature found");
    expect(verdict(v, secret, { headers: { "webhook-timestamp": String(v.timestamp + 1) } })).toBe("No matching signature found");
    expect(verdict(v, `whsec_${Buffer.alloc(32, 9).toString("base64")}`)).toBe("No matching signature found");
  });

  it("when every vector's secrets are configured as WEBHOOK_SECRET, then the server accepts them", () => {
    for (const v of vectors) expect(loadConfig({ WEBHOOK_SECRET: v.secrets.join(",") }).webhooks.secrets).toEqual(v.secrets);
  });
});
