/** A settled session's webhook reaches a real receiver, signed, once, with the documented body and headers. */
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { webhookEventSchema } from "../../src/webhooks/webhook-schemas.js";
import { auth } from "../helpers/app-harness.js";
import { eventsOf, SECRET_NEW, SECRET_OLD, startWebhookStack, type WebhookStack } from "./webhook-kit.js";
import { verifyWebhookSignature } from "./webhook-receiver.js";

let stack: WebhookStack;
afterEach(async () => stack.close());

const nowSeconds = () => Math.floor(stack.clock.now() / 1000);

describe("webhook delivery", () => {
  it("when a session with a callbackUrl is approved, then the receiver gets one signed session.decided POST", async () => {
    stack = await startWebhookStack();
    const session = await stack.createWithCallback();
    await stack.decide(session.id, "approved");

    expect(stack.receiver.received).toHaveLength(1);
    const [hook] = stack.receiver.received;
    expect(hook!.path).toBe("/hooks/liveness?token=receiver-query-secret-123");
    expect(hook!.headers).toMatchObject({ "content-type": "application/json", "webhook-attempt": "1" });
    expect(hook!.headers["user-agent"]).toMatch(/^liveness-session-orchestrator-webhooks\//);
    expect(verifyWebhookSignature(hook!.headers["webhook-signature"] as string, hook!.body, [SECRET_NEW], nowSeconds())).toBe(true);
    expect(verifyWebhookSignature(hook!.headers["webhook-signature"] as string, hook!.body, ["some-other-secret-0123"], nowSeconds())).toBe(false);

    const event = webhookEventSchema.parse(hook!.json);
    expect(event).toEqual({
      id: hook!.headers["webhook-id"],
      type: "session.decided",
      createdAt: new Date(stack.clock.now()).toISOString(),
      data: { sessionId: session.id, kind: "liveness", subject: "user-7", decision: { outcome: "approved", reasons: [], decidedAt: event.createdAt } },
    });
    expect(hook!.body).not.toContain(session.authToken);
    expect(stack.seen.filter((e) => e.type === "webhookDelivered")).toEqual([
      expect.objectContaining({ sessionId: session.id, clientId: "acme", webhookId: event.id, attempt: 1, status: 200, actor: "system" }),
    ]);
    expect(stack.listenerErrors).toEqual([]);
  });

  it("when the receiver checks a signature older than five minutes, then the recipe rejects it", async () => {
    stack = await startWebhookStack();
    await stack.decide((await stack.createWithCallback()).id);
    const [hook] = stack.receiver.received;
    expect(verifyWebhookSignature(hook!.headers["webhook-signature"] as string, hook!.body, [SECRET_NEW], nowSeconds() + 301)).toBe(false);
    expect(verifyWebhookSignature(hook!.headers["webhook-signature"] as string, `${hook!.body} `, [SECRET_NEW], nowSeconds())).toBe(false);
  });

  it("when the README's receiver recipe runs on a delivery, then it processes it once, flags the retry, rejects tampering", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const code = /```js\n(import \{ createHmac[\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    type Verify = (headers: Record<string, unknown>, rawBody: string, secrets: string[], seen: Set<string>) => string;
    const verify = new Function("createHmac", "timingSafeEqual", `${code!.replace(/^import .*$/m, "")}\nreturn verifyWebhook;`)(createHmac, timingSafeEqual) as Verify;

    stack = await startWebhookStack();
    await stack.decide((await stack.createWithCallback()).id);
    const [hook] = stack.receiver.received;
    const seen = new Set<string>();
    expect(verify(hook!.headers, hook!.body, [SECRET_OLD, SECRET_NEW], seen)).toBe("process");
    expect(verify(hook!.headers, hook!.body, [SECRET_NEW], seen)).toBe("duplicate");
    expect(verify(hook!.headers, hook!.body.replace("approved", "declined"), [SECRET_NEW], new Set())).toBe("reject");
    expect(verify(hook!.headers, hook!.body, [SECRET_OLD], new Set())).toBe("reject");
  });

  it("when the secret is rotating (new,old), then both signatures verify, each with its own secret", async () => {
    stack = await startWebhookStack({ WEBHOOK_SECRET: `${SECRET_NEW},${SECRET_OLD}` });
    await stack.decide((await stack.createWithCallback()).id);
    const [hook] = stack.receiver.received;
    const header = hook!.headers["webhook-signature"] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(header, hook!.body, [SECRET_OLD], nowSeconds())).toBe(true);
    expect(verifyWebhookSignature(header, hook!.body, [SECRET_NEW], nowSeconds())).toBe(true);
  });

  it("when the outcome is not settled (retry, pending), then nothing is queued or sent", async () => {
    stack = await startWebhookStack();
    const session = await stack.createWithCallback();
    await stack.decide(session.id, "retry");
    await stack.decide(session.id, "pending");
    expect(stack.receiver.received).toEqual([]);
    expect((await eventsOf(stack, session.id)).json()).toEqual({ sessionId: session.id, deliveries: [] });
  });

  it("when the same decision is seen twice, then it is delivered once", async () => {
    stack = await startWebhookStack();
    const session = await stack.createWithCallback();
    await stack.decide(session.id, "declined");
    await stack.decide(session.id, "declined");
    expect(stack.receiver.received).toHaveLength(1);
    expect((stack.receiver.received[0]!.json.data as { decision: { outcome: string } }).decision.outcome).toBe("declined");
  });

  it("when a session has no callbackUrl, then its decision sends nothing", async () => {
    stack = await startWebhookStack();
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness" } });
    await stack.decide(res.json().id);
    expect(stack.receiver.received).toEqual([]);
  });

  it("when callbackUrl comes as a multipart field, then it is accepted and used", async () => {
    stack = await startWebhookStack();
    const form = new FormData();
    form.append("kind", "liveness");
    form.append("callbackUrl", stack.receiver.url("/multipart-hook"));
    const request = new Request("http://x/", { method: "POST", body: form });
    const res = await stack.app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { ...auth(), "content-type": request.headers.get("content-type")! },
      payload: Buffer.from(await request.arrayBuffer()),
    });
    expect(res.statusCode).toBe(201);
    await stack.decide(res.json().id);
    expect(stack.receiver.received.map((r) => r.path)).toEqual(["/multipart-hook"]);
  });
});
