/** GET /v1/sessions/{id}/events and POST …/events/redeliver: the owner sees and resends; everyone else gets 404. */
import { afterEach, describe, expect, it } from "vitest";
import { auth, createSession } from "../helpers/app-harness.js";
import { eventsOf, redeliver, startWebhookStack, type WebhookStack } from "./webhook-kit.js";

let stack: WebhookStack;
afterEach(async () => stack.close());

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

describe("GET /v1/sessions/{id}/events", () => {
  it("when the session was delivered after one failure, then both attempts are listed with times, statuses and the event", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 503 });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    const firstAt = new Date(stack.clock.now()).toISOString();
    await stack.advance(15_000);

    const res = await eventsOf(stack, id);
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const [delivery] = res.json().deliveries;
    expect(delivery).toMatchObject({ type: "session.decided", state: "delivered", nextAttemptAt: null, event: { type: "session.decided", data: { sessionId: id } } });
    expect(delivery.webhookId).toBe(stack.receiver.received[0]!.headers["webhook-id"]);
    expect(delivery.attempts).toEqual([
      { attempt: 1, series: 1, at: firstAt, statusCode: 503, nextAttemptAt: expect.any(String), final: false },
      { attempt: 2, series: 1, at: new Date(stack.clock.now()).toISOString(), statusCode: 200, final: true },
    ]);
    expect(res.body).not.toContain("receiver-query-secret-123");
  });

  it("when another client asks, or the id is unknown, then 404 as for any session that is not yours", async () => {
    stack = await startWebhookStack();
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    for (const res of [await eventsOf(stack, id, "globex"), await eventsOf(stack, UNKNOWN_ID), await redeliver(stack, id, "globex"), await redeliver(stack, UNKNOWN_ID)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
    }
    expect(stack.receiver.received).toHaveLength(1);
  });

  it("when no x-api-key is sent or the id is malformed, then 401 and 400", async () => {
    stack = await startWebhookStack();
    expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${UNKNOWN_ID}/events` })).statusCode).toBe(401);
    expect((await stack.app.inject({ method: "POST", url: `/v1/sessions/${UNKNOWN_ID}/events/redeliver` })).statusCode).toBe(401);
    expect((await stack.app.inject({ method: "GET", url: "/v1/sessions/not-a-guid/events", headers: auth() })).json().error.code).toBe("LSO_ERR_VALIDATION");
  });
});

describe("POST /v1/sessions/{id}/events/redeliver", () => {
  it("when the event was delivered, then 202 starts a new series: same Webhook-Id and body, attempt numbers continue", async () => {
    stack = await startWebhookStack();
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    await stack.advance(60_000);

    const res = await redeliver(stack, id);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ webhookId: stack.receiver.received[0]!.headers["webhook-id"], series: 2, nextAttemptAt: new Date(stack.clock.now()).toISOString() });
    await stack.advance(0);

    const [first, again] = stack.receiver.received;
    expect(again!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(again!.headers["webhook-attempt"]).toBe("2");
    expect(again!.body).toBe(first!.body);
    const [delivery] = (await eventsOf(stack, id)).json().deliveries;
    expect(delivery.attempts.map((a: { attempt: number; series: number }) => [a.attempt, a.series])).toEqual([[1, 1], [2, 2]]);
    expect(delivery.state).toBe("delivered");
  });

  it("when the event failed for good, then a redelivery gets a fresh 24-hour window", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 410 });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    expect((await eventsOf(stack, id)).json().deliveries[0].state).toBe("failed");
    expect((await redeliver(stack, id)).statusCode).toBe(202);
    await stack.advance(0);
    expect((await eventsOf(stack, id)).json().deliveries[0].state).toBe("delivered");
  });

  it("when a delivery is still being retried, then 409 LSO_ERR_WEBHOOK_DELIVERY_PENDING and nothing extra is sent", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 500 });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    const res = await redeliver(stack, id);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("LSO_ERR_WEBHOOK_DELIVERY_PENDING");
    expect(stack.receiver.received).toHaveLength(1);
  });

  it("when the session has not settled or has no callbackUrl, then 409 LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER", async () => {
    stack = await startWebhookStack();
    const undecided = await stack.createWithCallback();
    const without = (await createSession(stack.app, { kind: "liveness" })).json();
    await stack.decide(without.id);
    for (const id of [undecided.id, without.id]) {
      const res = await redeliver(stack, id);
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER");
      expect((await eventsOf(stack, id)).json().deliveries).toEqual([]);
    }
  });

  it("when the session record is gone after delivery (cleanup), then its deliveries stay readable and redeliverable", async () => {
    stack = await startWebhookStack();
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${id}`, headers: auth() })).statusCode).toBe(204);
    expect((await eventsOf(stack, id)).json().deliveries).toHaveLength(1);
    expect((await eventsOf(stack, id, "globex")).statusCode).toBe(404);
    expect((await redeliver(stack, id)).statusCode).toBe(202);
  });
});
