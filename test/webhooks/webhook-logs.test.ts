/** Webhook logs name the target by origin and path only: never a whsec_ secret (in any encoding), a signature or the callback's query. */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapturedLogs } from "../helpers/app-harness.js";
import { SECRET_NEW, SECRET_OLD, startWebhookStack, type WebhookStack } from "./webhook-kit.js";

/** A whsec_ secret as it could leak: whole, its base64 part, and its key bytes as text, hex and base64url. */
function secretForms(secret: string): string[] {
  const encoded = secret.slice("whsec_".length);
  const key = Buffer.from(encoded, "base64");
  return [secret, encoded, key.toString("utf8"), key.toString("hex"), key.toString("base64url")];
}

let stack: WebhookStack;
// An unredacted logger: the test must catch a component that tries to log a secret, not redaction hiding it.
const logs = new CapturedLogs();
beforeAll(async () => {
  stack = await startWebhookStack({ WEBHOOK_SECRET: `${SECRET_NEW},${SECRET_OLD}`, LOG_LEVEL: "trace" }, { logger: pino({ level: "trace" }, logs.stream) });
});
afterAll(async () => stack.close());

describe("webhook logging", () => {
  it("when a delivery fails, retries and succeeds, then no secret, signature or query string reaches the logs", async () => {
    stack.receiver.replyWith({ status: 500 }, { status: 429, headers: { "retry-after": "5" } });
    const { id, authToken } = await stack.createWithCallback();
    await stack.decide(id);
    await stack.advance(15_000);
    // Retry-After: 5 is below the schedule's second step (20 s ±20 %), so the step is what is waited.
    await stack.advance(25_000);
    expect(stack.receiver.received).toHaveLength(3);

    const text = logs.text;
    const signatures = stack.receiver.received.flatMap((r) => (r.headers["webhook-signature"] as string).split(" ").map((s) => s.replace(/^v1,/, "")));
    expect(signatures).toHaveLength(6);
    expect(signatures.every((s) => /^[A-Za-z0-9+/]{43}=$/.test(s))).toBe(true);
    for (const secret of [...secretForms(SECRET_NEW), ...secretForms(SECRET_OLD), "receiver-query-secret-123", "token=", authToken, ...signatures]) {
      expect(text, `a secret of ${secret.length} chars is in the logs`).not.toContain(secret);
    }
    const target = new URL(stack.receiver.url());
    const lines = logs.records().filter((r) => r.webhookId);
    expect(lines.map((r) => r.msg)).toEqual(expect.arrayContaining(["webhook queued", "webhook attempt failed; will retry", "webhook delivered"]));
    for (const line of lines) expect(line.target).toBe(`${target.origin}${target.pathname}`);
  });

  it("when a receiver keeps failing, then its first failure and at most one a minute are warned, each with the count so far; the rest are debug", async () => {
    const failing = { status: 503 };
    stack.receiver.replyWith(failing, failing, failing, failing, failing);
    const { id } = await stack.createWithCallback();
    const from = logs.records().length;
    await stack.decide(id);
    // Attempts at about 0, 10, 30, 70 and 150 s (±20 %), then the sixth is delivered.
    for (let i = 0; i < 40; i += 1) await stack.advance(10_000);
    const failures = logs.records().slice(from).filter((r) => r.msg === "webhook attempt failed; will retry");
    expect(failures).toHaveLength(5);
    const warned = failures.filter((r) => r.level === 40);
    expect(warned.map((r) => r.failedAttempts)).toEqual([1, 5]);
    expect(failures.filter((r) => r.level === 20)).toHaveLength(3);
  });
});
