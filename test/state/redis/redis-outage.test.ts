/**
 * A running app on Redis when Redis goes away and comes back, with no restart of the app: every request that needs
 * state answers 503 LSO_ERR_STATE_UNAVAILABLE with Retry-After (never a 500), /healthz stays 200, /readyz says
 * not ready, background work logs and carries on, no promise is left rejected; once Redis is back (same port, AOF
 * on), creates and reads work again and every session acknowledged before the outage is still there.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { systemClock } from "../../../src/lib/clock.js";
import { openRedisState, type RedisState } from "../../../src/state/redis/redis-state.js";
import { auth, createSession, startStack, type TestStack } from "../../helpers/app-harness.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";

const WAIT = { timeout: 15_000, interval: 100 };
const OPERATOR_KEY = "ops-outage-key-0123456789abcdef";

describeRedis("a running app on Redis when Redis stops and starts again", () => {
  const server = useRedisServer({ appendOnly: true });
  let state: RedisState;
  let stack: TestStack;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", onRejection);
    state = await openRedisState(server().url, { keyPrefix: server().keyPrefix(), encryptionKeys: [randomBytes(32)] }, systemClock);
    // The background loop and the webhook worker tick often, so they meet the outage while the test looks on.
    stack = await startStack({ SESSION_WATCH_INTERVAL_MS: "200", SESSION_SWEEP_INTERVAL_MS: "200", ADMIN_API_KEYS: `ops:${OPERATOR_KEY}` }, { state });
  });
  afterAll(async () => {
    await stack?.close();
    process.off("unhandledRejection", onRejection);
  });

  const get = (url: string, headers: Record<string, string> = auth()) => stack.app.inject({ method: "GET", url, headers });
  const ready = async () => (await get("/readyz", {})).statusCode;

  it("when Redis stops, then requests needing state answer 503 with Retry-After and the probes say so; when it is back, everything resumes", async () => {
    const before: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const created = await createSession(stack.app, { kind: "liveness", subject: `user-${i}` });
      expect(created.statusCode, created.body).toBe(201);
      before.push(created.json().id);
    }
    expect(await ready()).toBe(200);

    await server().halt();
    // The connection notices the server is gone (its socket closes): readiness turns first.
    await vi.waitFor(async () => expect(await ready()).toBe(503), WAIT);
    // The operator sees which check failed.
    const readiness = (await get("/readyz", { "x-admin-key": OPERATOR_KEY })).json();
    expect(readiness.checks.state).toEqual({ status: "down", backend: "redis" });

    const during = [
      await get(`/v1/sessions/${before[0]}`),
      await get(`/v1/sessions/${before[1]}?waitSeconds=2`),
      await createSession(stack.app, { kind: "liveness", subject: "user-during" }),
      await get(`/v1/sessions/${before[2]}/audit`),
      await get(`/v1/sessions/${before[2]}/events`),
      await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${before[2]}`, headers: auth() }),
    ];
    for (const res of during) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error.code).toBe("LSO_ERR_STATE_UNAVAILABLE");
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      // The per-IP and per-client limits went on counting (in memory) while Redis was away.
      expect(res.headers["ratelimit-limit"]).toBeDefined();
    }
    expect((await get("/healthz", {})).statusCode).toBe(200);
    // Background work met the outage and said so, rather than crashing or going quiet.
    await vi.waitFor(() => expect(stack.logs.text).toMatch(/session background work failed|webhook outbox unavailable/), WAIT);

    await server().resume();
    await vi.waitFor(async () => expect(await ready()).toBe(200), WAIT);
    const after = await createSession(stack.app, { kind: "liveness", subject: "user-after" });
    expect(after.statusCode, after.body).toBe(201);
    for (const id of [...before, after.json().id]) {
      const read = await get(`/v1/sessions/${id}`);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json().id).toBe(id);
    }

    expect(rejections).toEqual([]);
    const bugs = stack.logs.records().filter((r) => r.msg === "unexpected error" || Number(r.level) >= 60);
    expect(bugs).toEqual([]);
  });
});
