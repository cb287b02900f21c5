/**
 * A session's DELETE and its subject's erasure forget the Idempotency-Key that created it the same way, on both
 * state backends: a retry answers 404 without the token, whatever body it sends, and Face is not asked again.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";
import { ManualClock } from "../../src/lib/clock.js";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";
import { dumpKeyspace } from "../helpers/redis-keyspace.js";
import { redisSource, startRedisServer, type RedisServer } from "../helpers/redis-server.js";

let redisServer: RedisServer | undefined;
afterAll(async () => redisServer?.stop());

interface Harness {
  stack: TestStack;
  /** The field names of every idempotency entry in Redis (none on memory). */
  idempotencyFields: () => Promise<string[]>;
}

async function startHarness(backend: "memory" | "redis"): Promise<Harness> {
  const clock = new ManualClock(Date.now());
  let state: State = createMemoryState(clock);
  let idempotencyFields = async (): Promise<string[]> => [];
  if (backend === "redis") {
    redisServer ??= await startRedisServer();
    const server = redisServer;
    const prefix = server.keyPrefix();
    state = await openRedisState(server.url, { keyPrefix: prefix, encryptionKeys: [randomBytes(32)] }, clock);
    idempotencyFields = async () => {
      const entries = (await dumpKeyspace(server.client(), prefix)).filter((k) => k.key.startsWith(`${prefix}idem:`));
      // A hash dumps as field, value, field, value...
      return entries.flatMap((k) => k.values.filter((_, i) => i % 2 === 0).map((v) => v.toString()));
    };
  }
  const stack = await startStack({ FACE_MAX_TPS: "1000", SESSION_WATCH_INTERVAL_MS: "0" }, { clock, state });
  return { stack, idempotencyFields };
}

let counter = 0;
const freshKey = () => `forget-${Date.now()}-${(counter += 1)}`;

function createWithKey(app: FastifyInstance, key: string, body: Record<string, unknown>) {
  return app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "idempotency-key": key }, payload: body });
}

const backends = ["memory", ...(redisSource ? (["redis"] as const) : [])] as const;

const removals = {
  "the session is deleted": (app: FastifyInstance, created: { id: string }) =>
    app.inject({ method: "DELETE", url: `/v1/sessions/${created.id}`, headers: auth() }),
  "its subject is erased": (app: FastifyInstance, created: { subject: string }) =>
    app.inject({ method: "DELETE", url: `/v1/subjects/${encodeURIComponent(created.subject)}`, headers: auth() }),
};

describe.each(backends)("forgetting an idempotency key on %s", (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => h.stack.close());

  it.each(Object.entries(removals))("when %s, then a retry with its key answers 404 without the token, whatever its body, and Face is not called", async (_name, remove) => {
    const { app, emulator } = h.stack;
    const key = freshKey();
    const body = { kind: "liveness", subject: `subject-${key}`, deviceCorrelationId: "d-forget" };
    const first = await createWithKey(app, key, body);
    expect(first.statusCode).toBe(201);
    const created = first.json<{ id: string; authToken: string; subject: string }>();
    expect((await remove(app, created)).statusCode).toBeLessThan(300);
    const creates = emulator.state.requestCount("createLivenessSession");

    const retry = await createWithKey(app, key, body);
    const otherBody = await createWithKey(app, key, { ...body, deviceCorrelationId: "d-other" });

    for (const res of [retry, otherBody]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
      expect(res.body).not.toContain(created.authToken);
    }
    expect(emulator.state.requestCount("createLivenessSession")).toBe(creates);
    // What the store keeps of the key holds no response at all (the token and subject were in it, sealed).
    expect(await h.idempotencyFields()).not.toContain("response");
  });
});
