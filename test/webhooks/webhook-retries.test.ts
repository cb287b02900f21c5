/** Retries with backoff on 5xx, 408/429 (Retry-After), timeouts and network errors; 4xx and 24 hours are final. */
import { afterEach, describe, expect, it } from "vitest";
import { RETRY_WINDOW_MS } from "../../src/webhooks/webhook-retry.js";
import { eventsOf, startWebhookStack, type WebhookStack } from "./webhook-kit.js";

let stack: WebhookStack;
afterEach(async () => stack.close());

const deliveryOf = async (id: string) => (await eventsOf(stack, id)).json().deliveries[0];
const failures = () => stack.seen.filter((e) => e.type === "webhookFailed");

describe("webhook retries", () => {
  it("when the receiver answers 500 and then 200, then the second attempt delivers with the same Webhook-Id", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 500 });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);

    const pending = await deliveryOf(id);
    expect(pending).toMatchObject({ state: "pending", attempts: [{ attempt: 1, statusCode: 500, final: false }] });
    const delay = Date.parse(pending.nextAttemptAt) - stack.clock.now();
    expect(delay).toBeGreaterThanOrEqual(8_000); // 10 s ± 20 %
    expect(delay).toBeLessThanOrEqual(12_000);

    await stack.advance(delay - 1);
    expect(stack.receiver.received).toHaveLength(1);
    await stack.advance(1);
    const [first, second] = stack.receiver.received;
    expect(second!.headers["webhook-attempt"]).toBe("2");
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect(await deliveryOf(id)).toMatchObject({ state: "delivered", nextAttemptAt: null, attempts: [{ statusCode: 500 }, { attempt: 2, statusCode: 200, final: true }] });
    expect(failures()).toEqual([expect.objectContaining({ attempt: 1, final: false, status: 500 })]);
    expect(stack.seen.filter((e) => e.type === "webhookDelivered")).toHaveLength(1);
  });

  it("when the receiver answers 429 with Retry-After: 120, then the next attempt waits exactly 120 s", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 429, headers: { "retry-after": "120" } });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    expect((await deliveryOf(id)).nextAttemptAt).toBe(new Date(stack.clock.now() + 120_000).toISOString());
    await stack.advance(119_999);
    expect(stack.receiver.received).toHaveLength(1);
    await stack.advance(1);
    expect(stack.receiver.received).toHaveLength(2);
    expect((await deliveryOf(id)).state).toBe("delivered");
  });

  it("when the receiver answers 408, 502, 503 and 504, then each is retried", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 408 }, { status: 502 }, { status: 503 }, { status: 504 });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    for (let i = 0; i < 4; i++) await stack.advance(60 * 60 * 1000);
    const delivery = await deliveryOf(id);
    expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([408, 502, 503, 504, 200]);
    expect(delivery.state).toBe("delivered");
  });

  it.each([400, 404, 410, 422])("when the receiver answers %i, then the failure is final after one attempt", async (status) => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    await stack.advance(RETRY_WINDOW_MS);
    expect(stack.receiver.received).toHaveLength(1);
    expect(await deliveryOf(id)).toMatchObject({ state: "failed", nextAttemptAt: null, attempts: [{ statusCode: status, final: true, error: `HTTP ${status} is not retried` }] });
    expect(failures()).toEqual([expect.objectContaining({ final: true, status })]);
  });

  it("when the receiver redirects, then the redirect is not followed and the failure is final", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith({ status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    expect(await deliveryOf(id)).toMatchObject({ state: "failed", attempts: [{ statusCode: 302, error: "redirects are not followed" }] });
    expect(stack.receiver.received).toHaveLength(1);
  });

  it("when the receiver fails for 24 hours, then the delivery fails for good and nothing is sent after the window", async () => {
    stack = await startWebhookStack();
    stack.receiver.replyWith(...Array.from({ length: 100 }, () => ({ status: 503 })));
    const { id } = await stack.createWithCallback();
    const start = stack.clock.now();
    await stack.decide(id);
    for (let hour = 0; hour < 26 && (await deliveryOf(id)).state === "pending"; hour++) await stack.advance(60 * 60 * 1000);

    const delivery = await deliveryOf(id);
    expect(delivery.state).toBe("failed");
    const times = delivery.attempts.map((a: { at: string }) => Date.parse(a.at));
    expect(Math.max(...times)).toBeLessThanOrEqual(start + RETRY_WINDOW_MS);
    expect(delivery.attempts.length).toBeGreaterThan(10);
    expect(delivery.attempts.at(-1)).toMatchObject({ final: true, statusCode: 503, error: "gave up: the 24-hour retry window is over" });
    expect(failures().filter((e) => e.type === "webhookFailed" && e.final)).toHaveLength(1);
    const sent = stack.receiver.received.length;
    await stack.advance(RETRY_WINDOW_MS);
    expect(stack.receiver.received).toHaveLength(sent);
  });

  it("when the receiver does not answer in time, then the attempt fails as a timeout and is retried", async () => {
    stack = await startWebhookStack({ WEBHOOK_TIMEOUT_MS: "200" });
    stack.receiver.replyWith({ hang: true, status: 0 });
    const { id } = await stack.createWithCallback();
    await stack.decide(id);
    expect(await deliveryOf(id)).toMatchObject({ state: "pending", attempts: [{ attempt: 1, error: "timeout: no answer within 200 ms", final: false }] });
    await stack.advance(60_000);
    expect((await deliveryOf(id)).state).toBe("delivered");
  });

  it("when the receiver is not listening, then the network error is recorded and retried", async () => {
    stack = await startWebhookStack();
    const url = stack.receiver.url();
    await stack.receiver.close();
    const { id } = await stack.createWithCallback(url);
    await stack.decide(id);
    expect(await deliveryOf(id)).toMatchObject({ state: "pending", attempts: [{ error: "network error: ECONNREFUSED", final: false }] });
  });
});
