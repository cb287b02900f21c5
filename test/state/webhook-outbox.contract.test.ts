/**
 * The WebhookOutbox contract, for every backend: add-if-absent, claims earliest due first with leases (at-least-once
 * after a crash), results fenced by their lease, redelivery series, and finished deliveries kept for their retention.
 * Claims are fair: round-robin between clients, and a cap on each client's attempts under way.
 */
import { describe, expect, it } from "vitest";
import { MAX_KEPT_ATTEMPTS, OUTBOX_RETENTION_MS, type WebhookDelivery } from "../../src/state/webhook-outbox.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

const LEASE = 40_000;

describe.each(backends)("WebhookOutbox ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const outbox = () => ctx.state.outbox;

  const delivery = (webhookId = "evt_1", dueOffset = 0, sessionId = "s1", clientId = "acme"): WebhookDelivery => {
    const t = ctx.clock.now();
    return {
      webhookId,
      sessionId,
      clientId,
      type: "session.decided",
      url: "https://hooks.example.com/x?token=receiver-secret",
      body: '{"id":"evt_1"}',
      createdAt: t,
      state: "pending",
      series: 1,
      seriesStartedAt: t,
      dueAt: t + dueOffset,
      lastAttempt: 0,
      attempts: [],
      updatedAt: t,
    };
  };

  const delivered = (attempt: number) => ({ attempt: { attempt, series: 1, at: ctx.clock.now(), statusCode: 200, final: true }, state: "delivered" as const });

  it("when a session's deliveries are deleted, then pending ones are counted, none is claimable and the session lists none", async () => {
    await outbox().add(delivery("evt_1"));
    await outbox().add(delivery("evt_2"));
    const [claim] = await outbox().claimDue(1, 1000);
    await outbox().record(claim!.delivery.webhookId, claim!.lease, delivered(claim!.attempt));
    await outbox().add(delivery("evt_3", 0, "s2"));
    expect(await outbox().deleteBySession("s1")).toBe(1);
    expect(await outbox().listBySession("s1")).toEqual([]);
    expect((await outbox().claimDue(10, 1000)).map((c) => c.delivery.webhookId)).toEqual(["evt_3"]);
    expect(await outbox().deleteBySession("s1")).toBe(0);
  });

  it("when the same webhook id is added twice, then the second add is refused and the first stays as it was", async () => {
    expect(await outbox().add(delivery())).toBe(true);
    expect(await outbox().add({ ...delivery(), url: "https://other.example.com/" })).toBe(false);
    expect(await outbox().listBySession("s1")).toEqual([delivery()]);
  });

  it("when a delivery is claimed, then it carries the next attempt number and a second claim gets nothing until the lease lapses", async () => {
    await outbox().add(delivery());
    const [claim] = await outbox().claimDue(10, LEASE);
    expect(claim).toMatchObject({ attempt: 1, delivery: { webhookId: "evt_1", lastAttempt: 1, dueAt: ctx.clock.now() + LEASE } });
    ctx.clock.advance(LEASE - 1);
    expect(await outbox().claimDue(10, LEASE)).toEqual([]);
  });

  it("when the instance dies mid-attempt, then after the lease the delivery is sent again as the next attempt, and the stale result is refused", async () => {
    await outbox().add(delivery());
    const [crashed] = await outbox().claimDue(10, LEASE);
    ctx.clock.advance(LEASE);
    const [retaken] = await outbox().claimDue(10, LEASE);
    expect(retaken).toMatchObject({ attempt: 2 });
    expect(retaken!.lease).not.toBe(crashed!.lease);
    expect(await outbox().record("evt_1", crashed!.lease, delivered(1))).toBe(false);
    expect(await outbox().record("evt_1", retaken!.lease, delivered(2))).toBe(true);
    expect((await outbox().listBySession("s1"))[0]).toMatchObject({ state: "delivered", attempts: [{ attempt: 2 }], updatedAt: ctx.clock.now() });
    expect(await outbox().record("evt_1", retaken!.lease, delivered(2))).toBe(false);
  });

  it("when a delivery fails many times, then only the latest attempts are kept, and the total and first attempt time are counted", async () => {
    await outbox().add(delivery());
    const firstAt = ctx.clock.now();
    const total = MAX_KEPT_ATTEMPTS + 5;
    for (let n = 1; n <= total; n += 1) {
      const [claim] = await outbox().claimDue(10, LEASE);
      const last = n === total;
      const attempt = { attempt: claim!.attempt, series: 1, at: ctx.clock.now(), statusCode: 503, final: last };
      expect(await outbox().record("evt_1", claim!.lease, last ? { attempt, state: "failed" } : { attempt, state: "pending", dueAt: ctx.clock.now() + 1000 })).toBe(true);
      ctx.clock.advance(1000);
    }
    const [stored] = await outbox().listBySession("s1");
    expect(stored!.attempts.map((a) => a.attempt)).toEqual(Array.from({ length: MAX_KEPT_ATTEMPTS }, (_, i) => total - MAX_KEPT_ATTEMPTS + 1 + i));
    expect(stored).toMatchObject({ state: "failed", attemptCount: total, firstAttemptAt: firstAt, lastAttempt: total });
  });

  it("when a retry is recorded, then the delivery is due again at the time it names, and not before", async () => {
    await outbox().add(delivery());
    const [claim] = await outbox().claimDue(10, LEASE);
    const retryAt = ctx.clock.now() + 5_000;
    const failed = { attempt: { attempt: 1, series: 1, at: ctx.clock.now(), statusCode: 503, nextAttemptAt: retryAt, final: false }, state: "pending" as const, dueAt: retryAt };
    expect(await outbox().record("evt_1", claim!.lease, failed)).toBe(true);
    ctx.clock.advance(4_999);
    expect(await outbox().claimDue(10, LEASE)).toEqual([]);
    ctx.clock.advance(1);
    expect(await outbox().claimDue(10, LEASE)).toMatchObject([{ attempt: 2 }]);
  });

  it("when more are due than the limit, then the earliest due are claimed first; one due later is left", async () => {
    await outbox().add(delivery("late", -5));
    await outbox().add(delivery("early", -10));
    await outbox().add(delivery("future", 60_000));
    expect((await outbox().claimDue(1, LEASE)).map((c) => c.delivery.webhookId)).toEqual(["early"]);
    expect((await outbox().claimDue(5, LEASE)).map((c) => c.delivery.webhookId)).toEqual(["late"]);
  });

  it("when two workers claim at once, then no delivery goes to both", async () => {
    for (let i = 0; i < 10; i += 1) await outbox().add(delivery(`evt_${i}`, -i));
    const [a, b] = await Promise.all([outbox().claimDue(8, LEASE), outbox().claimDue(8, LEASE)]);
    const ids = [...a!, ...b!].map((c) => c.delivery.webhookId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });

  it("when a delivery is pending, then restart refuses; once finished, it starts series 2 due now; an unknown one is missing", async () => {
    await outbox().add(delivery());
    expect(await outbox().restart("evt_1")).toEqual({ outcome: "pending" });
    const [claim] = await outbox().claimDue(1, LEASE);
    await outbox().record("evt_1", claim!.lease, delivered(1));
    ctx.clock.advance(5);
    const now = ctx.clock.now();
    expect(await outbox().restart("evt_1")).toMatchObject({ outcome: "restarted", delivery: { series: 2, seriesStartedAt: now, dueAt: now, state: "pending" } });
    expect(await outbox().claimDue(1, LEASE)).toMatchObject([{ attempt: 2 }]);
    expect(await outbox().restart("nope")).toEqual({ outcome: "missing" });
  });

  it("when a session has deliveries, then listBySession answers them oldest first, and only that session's", async () => {
    await outbox().add(delivery("first"));
    ctx.clock.advance(1);
    await outbox().add(delivery("second"));
    await outbox().add(delivery("elsewhere", 0, "s2"));
    expect((await outbox().listBySession("s1")).map((d) => d.webhookId)).toEqual(["first", "second"]);
    expect(await outbox().listBySession("none")).toEqual([]);
  });

  it("when a finished delivery is within its retention, then it stays readable", async () => {
    await outbox().add(delivery());
    const [claim] = await outbox().claimDue(1, LEASE);
    await outbox().record("evt_1", claim!.lease, delivered(1));
    ctx.clock.advance(OUTBOX_RETENTION_MS - 1);
    expect(await outbox().listBySession("s1")).toHaveLength(1);
  });

  it("when deliveries wait, are due, are under an attempt or finished, then stats counts the pending and the due and names the earliest due time", async () => {
    expect(await outbox().stats()).toEqual({ pending: 0, due: 0 });
    const start = ctx.clock.now();
    await outbox().add(delivery("due-first"));
    ctx.clock.advance(10);
    await outbox().add(delivery("due-second"));
    await outbox().add(delivery("later", 60_000));
    await outbox().add(delivery("finished"));
    expect(await outbox().stats()).toEqual({ pending: 4, due: 3, earliestDueAt: start });

    // Claimed: still pending, no longer due (its lease moved it); recorded as delivered: neither.
    const claims = await outbox().claimDue(2, LEASE);
    expect(claims.map((c) => c.delivery.webhookId)).toEqual(["due-first", "due-second"]);
    expect(await outbox().stats()).toEqual({ pending: 4, due: 1, earliestDueAt: start + 10 });
    await outbox().record("due-first", claims[0]!.lease, delivered(1));
    await outbox().record("due-second", claims[1]!.lease, delivered(1));
    const [last] = await outbox().claimDue(1, LEASE);
    await outbox().record(last!.delivery.webhookId, last!.lease, delivered(1));
    expect(await outbox().stats()).toEqual({ pending: 1, due: 0, earliestDueAt: start + 10 + 60_000 });
  });

  describe("fairness between clients", () => {
    const clientOf = (id: string) => id.split("-")[0]!;
    const idsOf = (claims: Array<{ delivery: WebhookDelivery }>) => claims.map((c) => c.delivery.webhookId);
    /** `count` deliveries of one client, named client-1, client-2, ..., the first due earliest. */
    const addFor = async (client: string, count: number, firstDue: number) => {
      for (let n = 1; n <= count; n += 1) await outbox().add(delivery(`${client}-${n}`, firstDue + n, `s-${client}-${n}`, client));
    };

    it("when one client's backlog is due before the others', then one claim serves every client in turn, each client's oldest first", async () => {
      await addFor("hog", 4, -100);
      await addFor("acme", 2, -10);
      await addFor("globex", 1, -5);
      const ids = idsOf(await outbox().claimDue(7, LEASE));
      expect(new Set(ids.slice(0, 3).map(clientOf))).toEqual(new Set(["hog", "acme", "globex"]));
      expect(new Set(ids.slice(3, 5).map(clientOf))).toEqual(new Set(["hog", "acme"]));
      expect(ids.slice(5)).toEqual(["hog-3", "hog-4"]);
      expect(ids.filter((id) => clientOf(id) === "hog")).toEqual(["hog-1", "hog-2", "hog-3", "hog-4"]);
    });

    it("when claims take one delivery at a time, then the least recently served client comes next", async () => {
      await addFor("hog", 3, -100);
      await addFor("acme", 3, -10);
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) ids.push(...idsOf(await outbox().claimDue(1, LEASE)));
      const clients = ids.map(clientOf);
      expect(clients).toHaveLength(6);
      for (let i = 1; i < clients.length; i += 1) expect(clients[i]).not.toBe(clients[i - 1]);
    });

    it("when a client has maxInFlightPerClient attempts under way, then it gets no more until one is recorded or its leases lapse, and other clients are still served", async () => {
      const cap = { maxInFlightPerClient: 2 };
      await addFor("hog", 6, -100);
      await addFor("acme", 1, -10);
      const first = await outbox().claimDue(10, LEASE, cap);
      expect(idsOf(first).sort()).toEqual(["acme-1", "hog-1", "hog-2"]);
      expect(await outbox().claimDue(10, LEASE, cap)).toEqual([]);

      const hog1 = first.find((c) => c.delivery.webhookId === "hog-1")!;
      expect(await outbox().record("hog-1", hog1.lease, delivered(hog1.attempt))).toBe(true);
      expect(idsOf(await outbox().claimDue(10, LEASE, cap))).toEqual(["hog-3"]);
      expect(await outbox().claimDue(10, LEASE, cap)).toEqual([]);

      // The claimer crashed: once the leases lapse, the slots are free again (and the lapsed deliveries due).
      ctx.clock.advance(LEASE);
      const retaken = idsOf(await outbox().claimDue(10, LEASE, cap));
      expect(retaken.filter((id) => clientOf(id) === "hog")).toEqual(["hog-4", "hog-5"]);
      expect(retaken.filter((id) => clientOf(id) === "acme")).toEqual(["acme-1"]);
    });

    it("when a retry is recorded, then the attempt's slot frees at once and the delivery waits for its time", async () => {
      const cap = { maxInFlightPerClient: 1 };
      await addFor("hog", 2, -100);
      const [claim] = await outbox().claimDue(10, LEASE, cap);
      const retryAt = ctx.clock.now() + 5_000;
      const attempt = { attempt: claim!.attempt, series: 1, at: ctx.clock.now(), statusCode: 503, nextAttemptAt: retryAt, final: false };
      expect(await outbox().record("hog-1", claim!.lease, { attempt, state: "pending", dueAt: retryAt })).toBe(true);
      expect(idsOf(await outbox().claimDue(10, LEASE, cap))).toEqual(["hog-2"]);
    });

    it("when a session's deliveries are deleted mid-attempt, then its client's slots are free", async () => {
      const cap = { maxInFlightPerClient: 1 };
      await addFor("hog", 2, -100);
      expect(idsOf(await outbox().claimDue(10, LEASE, cap))).toEqual(["hog-1"]);
      expect(await outbox().deleteBySession("s-hog-1")).toBe(1);
      expect(idsOf(await outbox().claimDue(10, LEASE, cap))).toEqual(["hog-2"]);
    });
  });
});
