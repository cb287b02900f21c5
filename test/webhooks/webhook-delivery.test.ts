/** A settled session's webhook reaches a real receiver, signed (Standard Webhooks), once, with the documented body and headers. */
import { afterEach, describe, expect, it } from "vitest";
import { webhookEventSchema } from "../../src/webhooks/webhook-schemas.js";
import { auth } from "../helpers/app-harness.js";
import { eventsOf, SECRET_NEW, SECRET_OLD, startWebhookStack, type WebhookStack } from "./webhook-kit.js";
import { verifyWithStandardWebhooks } from "./webhook-receiver.js";

let stack: WebhookStack;
afterEach(async () => stack.close());

/** A well-formed secret nobody configured. */
const STRANGER = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

describe("webhook delivery", () => {
  it("when a session with a callbackUrl is approved, then the receiver gets one session.decided POST that standardwebhooks verifies", async () => {
    stack = await startWebhookStack();
    const session = await stack.createWithCallback();
    await stack.decide(session.id, "approved");

    expect(stack.receiver.received).toHaveLength(1);
    const [hook] = stack.receiver.received;
    expect(hook!.path).toBe("/hooks/liveness?token=receiver-query-secret-123");
    expect(hook!.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-attempt": "1",
      "webhook-timestamp": String(Math.floor(stack.clock.now() / 1000)),
    });
    expect(hook!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(hook!.headers["user-agent"]).toMatch(/^liveness-session-orchestrator-webhooks\//);
    expect(verifyWithStandardWebhooks(hook!, [SECRET_NEW])).toBe("verified");
    expect(verifyWithStandardWebhooks(hook!, [STRANGER])).toBe("No matching signature found");

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

  it("when the body, the id or the timestamp is altered in transit, then standardwebhooks rejects the request", async () => {
    stack = await startWebhookStack();
    await stack.decide((await stack.createWithCallback()).id);
    const [hook] = stack.receiver.received;
    const headers = hook!.headers;
    const otherSecond = String(Number(headers["webhook-timestamp"]) - 1);
    expect(verifyWithStandardWebhooks({ headers, body: hook!.body.replace("approved", "declined") }, [SECRET_NEW])).toBe("No matching signature found");
    expect(verifyWithStandardWebhooks({ headers: { ...headers, "webhook-id": "evt_replayed" }, body: hook!.body }, [SECRET_NEW])).toBe("No matching signature found");
    expect(verifyWithStandardWebhooks({ headers: { ...headers, "webhook-timestamp": otherSecond }, body: hook!.body }, [SECRET_NEW])).toBe("No matching signature found");
  });

  it("when the request was signed more than five minutes ago, then standardwebhooks rejects it as too old", async () => {
    stack = await startWebhookStack();
    // The library judges by the wall clock: the app's clock, set 6 minutes back, signs an old timestamp.
    stack.clock.set(Date.now() - 6 * 60_000);
    await stack.decide((await stack.createWithCallback()).id);
    expect(verifyWithStandardWebhooks(stack.receiver.received[0]!, [SECRET_NEW])).toBe("Message timestamp too old");
  });

  it("when a delivery is retried later, then the retry carries a fresh timestamp and still verifies", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 503 });
    await stack.decide((await stack.createWithCallback()).id);
    await stack.advance(15_000);
    const [first, retry] = stack.receiver.received;
    expect(Number(retry!.headers["webhook-timestamp"]) - Number(first!.headers["webhook-timestamp"])).toBe(15);
    expect(retry!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(retry!.headers["webhook-attempt"]).toBe("2");
    expect(verifyWithStandardWebhooks(retry!, [SECRET_NEW])).toBe("verified");
  });

  it("when the secret is rotating (new,old), then the header carries two signatures, newest first, and a receiver with either secret verifies", async () => {
    stack = await startWebhookStack({ WEBHOOK_SECRET: `${SECRET_NEW},${SECRET_OLD}` });
    await stack.decide((await stack.createWithCallback()).id);
    const [hook] = stack.receiver.received;
    const signatures = (hook!.headers["webhook-signature"] as string).split(" ");
    expect(signatures).toEqual([expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/), expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/)]);
    expect(verifyWithStandardWebhooks(hook!, [SECRET_OLD])).toBe("verified");
    expect(verifyWithStandardWebhooks(hook!, [SECRET_NEW])).toBe("verified");
    // Each signature on its own: the first is the new secret's, the second the old one's.
    const only = (signature: string) => ({ headers: { ...hook!.headers, "webhook-signature": signature }, body: hook!.body });
    expect(verifyWithStandardWebhooks(only(signatures[0]!), [SECRET_NEW])).toBe("verified");
    expect(verifyWithStandardWebhooks(only(signatures[0]!), [SECRET_OLD])).toBe("No matching signature found");
    expect(verifyWithStandardWebhooks(only(signatures[1]!), [SECRET_OLD])).toBe("verified");
  });

  it("when the outcome is not settled (retry, pending), then nothing is queued or sent", async () => {
    stack = await startWebhookStack();
    const session = await stack.createWithCallback();
    await stack.decide(session.id, "retry");
    await stack.decide(session.id, "pending");
    expect(stack.receiver.received).toEqual([]);
    expect((await eventsOf(stack, session.id)).json()).toEqual({ sessionId: session.id, deliveries: [], nextCursor: null });
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
