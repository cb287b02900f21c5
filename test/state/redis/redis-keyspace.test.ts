/**
 * The keyspace a Redis state leaves behind, store by store: every key under the prefix, every key with a TTL, and
 * no secret in any value. (test/state/redis/redis-app-keyspace.test.ts proves the same after a full flow through
 * the API.) The dump's own checks are proven first, so a clean result means something.
 */
import { randomBytes } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import { ManualClock } from "../../../src/lib/clock.js";
import { redisKeys } from "../../../src/state/redis/redis-keys.js";
import { createRedisState, type RedisState } from "../../../src/state/redis/redis-state.js";
import { dumpKeyspace, secretsIn } from "../../helpers/redis-keyspace.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";
import { pendingDelivery } from "../../../src/state/webhook-outbox.js";

const HOUR = 60 * 60 * 1000;
const AUTH_TOKEN = "eyJhbGciOi.auth-token-for-the-keyspace-test.signature";
const RECEIVER_TOKEN = "receiver-token-0123456789abcdef";
const image = randomBytes(3000);

describeRedis("the Redis keyspace, store by store", () => {
  const server = useRedisServer();
  const states: RedisState[] = [];
  afterAll(async () => {
    await Promise.all(states.map((s) => s.close()));
  });

  it("when a secret is stored in plain text or inside base64 at any alignment, then the dump finds it", async () => {
    const redis = server().client();
    const prefix = server().keyPrefix();
    const secret = randomBytes(40);
    await redis.set(`${prefix}raw`, Buffer.concat([Buffer.from("x"), secret]));
    for (const pad of [0, 1, 2]) await redis.set(`${prefix}b64-${pad}`, JSON.stringify({ v: Buffer.concat([randomBytes(pad), secret]).toString("base64") }));
    await redis.hset(`${prefix}url`, "f", Buffer.concat([randomBytes(1), secret]).toString("base64url"));
    const found = secretsIn(await dumpKeyspace(redis, prefix), [{ label: "secret", value: secret }]);
    expect([...new Set(found.map((f) => f.replace(/ \(.*\)$/, "")))].sort()).toEqual(
      ["raw", "b64-0", "b64-1", "b64-2", "url"].map((k) => `secret in ${prefix}${k}`).sort(),
    );
  });

  it("when every store has been written, then every key is under the prefix, has a TTL, and holds no secret in plain text", async () => {
    const clock = new ManualClock();
    const prefix = server().keyPrefix();
    const state = createRedisState(server().client(), { keyPrefix: prefix, encryptionKeys: [randomBytes(32)] }, clock);
    states.push(state);
    const now = clock.now();
    const callbackUrl = `https://hooks.example/in?token=${RECEIVER_TOKEN}`;
    await state.sessions.put({
      id: "s1",
      kind: "liveness",
      clientId: "acme",
      enableSessionImage: true,
      createdAt: now,
      authTokenExpiresAt: now + HOUR,
      expiresAt: now + HOUR,
      lastKnownStatus: "NotStarted",
      lastCheckedAt: now,
      callbackUrl,
      dueAt: now,
    });
    await state.sessions.claimDue(5, 1000);
    const claim = await state.idempotency.claim("acme:key-1", "fp", 30_000);
    if (!claim.claimed) throw new Error("the first claim must win");
    await state.idempotency.complete("acme:key-1", claim.token, { status: 201, body: { sessionId: "s1", authToken: AUTH_TOKEN } }, 24 * HOUR);
    await state.lockout.recordFailure("subject:acme:alice@example.com", now, { maxFailures: 5, windowMs: HOUR, cooldownMs: HOUR });
    await state.rateLimits.consume("ip:203.0.113.9", 10, 60_000);
    await state.outbox.add(pendingDelivery({
      webhookId: "w1",
      sessionId: "s1",
      clientId: "acme",
      type: "session.decided",
      url: callbackUrl,
      body: "{}",
    }, now));
    const [delivery] = await state.outbox.claimDue(5, 1000);
    await state.outbox.record("w1", delivery!.lease, { attempt: { attempt: 1, series: 1, at: now, statusCode: 200, final: true }, state: "delivered" });
    await state.audit.append("s1", { at: new Date(now).toISOString(), event: "created", actor: "acme" }, now + HOUR);
    await state.images.put({ sessionId: "s1", clientId: "acme", bytes: image, retainUntil: now + HOUR });
    await state.leases.acquire("watcher", "replica-1", 30_000);
    await state.quota.take("face.example.test", [{ name: "face", ratePerSec: 10, burst: 1 }]);
    await state.quota.pause("127.0.0.1:5001", 2000);

    const dump = await dumpKeyspace(server().client(), prefix);
    expect(new Set(dump.map((d) => d.type))).toEqual(new Set(["hash", "zset", "list", "string"]));
    expect(dump.filter((d) => d.ttlMs <= 0).map((d) => d.key)).toEqual([]);
    // rate-limiter-flexible names its own keys; they must be the ones the key map documents.
    expect(dump.find((d) => d.key === redisKeys(prefix).rateLimit("ip:203.0.113.9"))?.type).toBe("string");
    expect(
      secretsIn(dump, [
        { label: "auth token", value: AUTH_TOKEN },
        { label: "receiver token", value: RECEIVER_TOKEN },
        { label: "image", value: image },
        { label: "lockout subject", value: "alice@example.com" },
        { label: "client IP", value: "203.0.113.9" },
      ]),
    ).toEqual([]);
  });
});
