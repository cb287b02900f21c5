/**
 * What only the Redis backend has to prove (the store contracts run on both backends elsewhere): replicas sharing
 * one Redis, restarts, script cache loss, unreachable servers, key prefixes and key rotation at rest.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, expect, it, vi } from "vitest";
import { ManualClock } from "../../../src/lib/clock.js";
import { redisKeys } from "../../../src/state/redis/redis-keys.js";
import { createRedisState, type RedisState } from "../../../src/state/redis/redis-state.js";
import type { SessionRecord } from "../../../src/state/session-store.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";
import { pendingDelivery } from "../../../src/state/webhook-outbox.js";
import { freePort } from "../../helpers/free-port.js";

const MINUTE = 60_000;

function record(clock: ManualClock, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = clock.now();
  return {
    id: randomUUID(),
    kind: "liveness",
    clientId: "acme",
    enableSessionImage: false,
    createdAt: now,
    authTokenExpiresAt: now + 10 * MINUTE,
    expiresAt: now + 60 * MINUTE,
    lastKnownStatus: "NotStarted",
    lastCheckedAt: now,
    ...overrides,
  };
}

describeRedis("the Redis state across replicas and restarts", () => {
  const server = useRedisServer({ appendOnly: true });
  const key = randomBytes(32);
  const opened: RedisState[] = [];
  const stateOn = (clock: ManualClock, keyPrefix = server().keyPrefix(), encryptionKeys = [key]) => {
    const state = createRedisState(server().client(), { keyPrefix, encryptionKeys }, clock);
    opened.push(state);
    return state;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it("when two replicas claim due sessions at the same time, then each record goes to exactly one of them", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const [a, b] = [stateOn(clock, prefix), stateOn(clock, prefix)];
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const r = record(clock, { dueAt: clock.now() - i });
      ids.push(r.id);
      await a.sessions.put(r);
    }
    const rounds = await Promise.all([a, b, a, b, a, b].map((s) => s.sessions.claimDue(10, MINUTE)));
    const claimed = rounds.flat().map((r) => r.id);
    expect(claimed.sort()).toEqual([...ids].sort());
  });

  it("when Redis restarts with AOF on, then records, their due index and pending deliveries are still there", async () => {
    const clock = new ManualClock();
    const state = stateOn(clock);
    const r = record(clock, { dueAt: clock.now() });
    await state.sessions.put(r);
    await state.outbox.add({
      webhookId: randomUUID(),
      sessionId: r.id,
      clientId: "acme",
      type: "session.decided",
      url: "https://hooks.example/in?token=receiver-secret",
      body: "{}",
      createdAt: clock.now(),
      state: "pending",
      series: 1,
      seriesStartedAt: clock.now(),
      dueAt: clock.now(),
      lastAttempt: 0,
      attempts: [],
      updatedAt: clock.now(),
    });
    await server().restart();
    expect((await state.sessions.claimDue(5, MINUTE)).map((x) => x.id)).toEqual([r.id]);
    const [claim] = await state.outbox.claimDue(5, MINUTE);
    expect(claim?.delivery.url).toBe("https://hooks.example/in?token=receiver-secret");
  });

  it("when Redis forgets its script cache (a restart or failover), then the stores load their scripts again", async () => {
    const clock = new ManualClock();
    const state = stateOn(clock);
    const r = record(clock);
    await state.sessions.put(r);
    expect(await state.sessions.update(r.id, { lastCheckedAt: clock.now() + 1 })).toMatchObject({ lastCheckedAt: clock.now() + 1 });
    await server().client().script("FLUSH");
    expect(await state.sessions.update(r.id, { lastCheckedAt: clock.now() + 2 })).toMatchObject({ lastCheckedAt: clock.now() + 2 });
  });

  it("when two states use different key prefixes, then neither sees the other's data", async () => {
    const clock = new ManualClock();
    const [a, b] = [stateOn(clock), stateOn(clock)];
    const r = record(clock);
    await a.sessions.put(r);
    expect(await b.sessions.get(r.id)).toBeUndefined();
    expect(await a.sessions.get(r.id)).toMatchObject({ id: r.id });
  });

  it("when one replica publishes a signal, then a subscriber on another hears it, and stops hearing after unsubscribing", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const [a, b] = [stateOn(clock, prefix), stateOn(clock, prefix)];
    const heard: string[] = [];
    let resolve: () => void = () => undefined;
    const first = new Promise<void>((r) => (resolve = r));
    const unsubscribe = await b.signals.subscribe("settled", (m) => {
      heard.push(m);
      resolve();
    });
    await a.signals.publish("settled", "session-1");
    await first;
    await unsubscribe();
    await a.signals.publish("settled", "session-2");
    // A round trip on the subscriber's own connection order: anything published before it has been delivered.
    await b.signals.publish("settled", "flush");
    await b.ping();
    expect(heard).toEqual(["session-1"]);
  });

  it("when the state closes, then its subscriber connection is gone and no new subscription can open one", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const state = stateOn(clock, prefix);
    const watcher = server().client();
    await state.signals.subscribe("settled", () => undefined);
    const subscribed = async () => String(await watcher.client("LIST")).split("\n").filter((line) => line.includes(` name=${prefix}signals `)).length;
    expect(await subscribed()).toBe(1);
    await state.close();
    await vi.waitFor(async () => expect(await subscribed()).toBe(0));
    await expect(state.signals.subscribe("settled", () => undefined)).rejects.toThrow(/closed/);
  });

  it("when a new key is put first in the ring, then images sealed under the old key still open; without the old key they do not", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const bytes = randomBytes(2048);
    await stateOn(clock, prefix, [oldKey]).images.put({ sessionId: "s-rot", clientId: "acme", bytes, retainUntil: clock.now() + MINUTE });
    const rotated = await stateOn(clock, prefix, [newKey, oldKey]).images.get("s-rot");
    expect(Buffer.from(rotated?.bytes ?? []).equals(bytes)).toBe(true);
    await expect(stateOn(clock, prefix, [newKey]).images.get("s-rot")).rejects.toThrow(/not in the key ring/);
  });

  it("when an idempotency entry holds the erasure marker of an earlier version, then it reads as forgotten, never as a response", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const state = stateOn(clock, prefix);
    // The marker as the former erase wrote it: completed, empty fingerprint, a response no 201 parser would accept.
    const entry = redisKeys(prefix).idempotency("acme:erased-before");
    await server().client().hset(entry, "state", "completed", "fingerprint", "", "response", "sealed-404", "until", clock.now() + MINUTE);
    expect(await state.idempotency.claim("acme:erased-before", "fp", 1000)).toEqual({ claimed: false, entry: { state: "forgotten" } });
  });

  it("when Redis does not answer, then ping rejects within its timeout", async () => {
    const clock = new ManualClock();
    // A port nothing listens on any more, and a client that keeps retrying (as a production one would).
    const unreachable = new Redis({ host: "127.0.0.1", port: await freePort(), maxRetriesPerRequest: null, retryStrategy: () => 50 });
    unreachable.on("error", () => undefined);
    const state = createRedisState(unreachable, { encryptionKeys: [key], pingTimeoutMs: 200 }, clock);
    await expect(state.ping()).rejects.toThrow(/did not answer PING within 200 ms/);
    unreachable.disconnect();
    expect(await stateOn(clock).ping()).toBeUndefined();
  });

  it("when a pending delivery was written before the per-client queues (no client field, in the due index only), then a claim still picks it up, once", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const state = stateOn(clock, prefix);
    const keys = redisKeys(prefix).outbox;
    const now = clock.now();
    const delivery = { webhookId: "evt_old", sessionId: "s-old", clientId: "acme", type: "session.decided" as const, url: "https://hooks.example/in", body: "{}" };
    await state.outbox.add(pendingDelivery(delivery, now));
    // What the previous version left: the hash without its client, the due index, nothing else.
    const redis = server().client();
    await redis.hdel(keys.delivery("evt_old"), "client");
    await redis.del(keys.queuePrefix + keys.client("acme"), keys.clients);

    const claims = await state.outbox.claimDue(5, MINUTE, { maxInFlightPerClient: 1 });
    expect(claims.map((c) => c.delivery.webhookId)).toEqual(["evt_old"]);
    expect(await state.outbox.record("evt_old", claims[0]!.lease, { attempt: { attempt: 1, series: 1, at: now, statusCode: 200, final: true }, state: "delivered" })).toBe(true);
    clock.advance(MINUTE);
    expect(await state.outbox.claimDue(5, MINUTE)).toEqual([]);
  });
});
