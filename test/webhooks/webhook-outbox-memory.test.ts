/** The memory outbox's contract: add-if-absent, claims with leases (at-least-once after a crash), stale results dropped. */
import { describe, expect, it } from "vitest";
import type { WebhookDelivery } from "../../src/webhooks/webhook-outbox.js";
import { MemoryWebhookOutbox } from "../../src/webhooks/webhook-outbox-memory.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const LEASE = 40_000;

const delivery = (webhookId = "evt_1", dueAt = T0): WebhookDelivery => ({
  webhookId,
  sessionId: "s1",
  clientId: "acme",
  type: "session.decided",
  url: "https://hooks.example.com/x",
  body: "{}",
  createdAt: T0,
  state: "pending",
  series: 1,
  seriesStartedAt: T0,
  dueAt,
  lastAttempt: 0,
  attempts: [],
  updatedAt: T0,
});

const delivered = (attempt: number) => ({ attempt: { attempt, series: 1, at: T0, statusCode: 200, final: true }, state: "delivered" as const });

describe("MemoryWebhookOutbox", () => {
  it("when the same webhook id is added twice, then the second add is refused", async () => {
    const outbox = new MemoryWebhookOutbox();
    expect(await outbox.add(delivery())).toBe(true);
    expect(await outbox.add(delivery())).toBe(false);
  });

  it("when a delivery is claimed, then a second claim gets nothing until the lease lapses", async () => {
    const outbox = new MemoryWebhookOutbox();
    await outbox.add(delivery());
    const [claim] = await outbox.claimDue(T0, 10, LEASE);
    expect(claim).toMatchObject({ attempt: 1 });
    expect(await outbox.claimDue(T0 + LEASE - 1, 10, LEASE)).toEqual([]);
  });

  it("when the instance dies mid-attempt, then after the lease the delivery is sent again as the next attempt", async () => {
    const outbox = new MemoryWebhookOutbox();
    await outbox.add(delivery());
    const [crashed] = await outbox.claimDue(T0, 10, LEASE);
    const [retaken] = await outbox.claimDue(T0 + LEASE, 10, LEASE);
    expect(retaken).toMatchObject({ attempt: 2 });
    // The crashed attempt's late result does not count: the lease it held is gone.
    expect(await outbox.record("evt_1", crashed!.lease, delivered(1), T0 + LEASE)).toBe(false);
    expect(await outbox.record("evt_1", retaken!.lease, delivered(2), T0 + LEASE)).toBe(true);
    expect((await outbox.listBySession("s1"))[0]).toMatchObject({ state: "delivered", attempts: [{ attempt: 2 }] });
  });

  it("when more are due than the limit, then the earliest due are claimed first", async () => {
    const outbox = new MemoryWebhookOutbox();
    await outbox.add(delivery("late", T0 + 5));
    await outbox.add(delivery("early", T0 + 1));
    await outbox.add(delivery("future", T0 + 60_000));
    expect((await outbox.claimDue(T0 + 10, 1, LEASE)).map((c) => c.delivery.webhookId)).toEqual(["early"]);
    expect((await outbox.claimDue(T0 + 10, 5, LEASE)).map((c) => c.delivery.webhookId)).toEqual(["late"]);
  });

  it("when a delivery is pending, then restart refuses; once finished, it starts series 2 due now", async () => {
    const outbox = new MemoryWebhookOutbox();
    await outbox.add(delivery());
    expect(await outbox.restart("evt_1", T0)).toEqual({ outcome: "pending" });
    const [claim] = await outbox.claimDue(T0, 1, LEASE);
    await outbox.record("evt_1", claim!.lease, delivered(1), T0);
    expect(await outbox.restart("evt_1", T0 + 5)).toMatchObject({ outcome: "restarted", delivery: { series: 2, seriesStartedAt: T0 + 5, dueAt: T0 + 5, state: "pending" } });
    expect(await outbox.restart("nope", T0)).toEqual({ outcome: "missing" });
  });
});
