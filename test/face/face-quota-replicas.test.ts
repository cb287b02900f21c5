/**
 * Two app instances (two buildApp, as two replicas would run) on one Redis state and one Face resource (the
 * emulator): the quota they spend together is counted at the emulator, by its own timestamps. Each instance alone
 * would send FACE_MAX_TPS; together they must still send no more, and Face's Retry-After to one holds the other.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { systemClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/logger.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { apiKeysEnv, auth, FACE_KEY } from "../helpers/app-harness.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";

const MAX_TPS = 4;

describeRedis("Face's quota across replicas on one Redis state", () => {
  const server = useRedisServer();
  let emulator: RunningEmulator | undefined;
  let apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await emulator?.close();
    apps = [];
    emulator = undefined;
  });

  /** Two instances on one key prefix and key ring, each with its own Redis connection, against one emulator. */
  async function replicas(): Promise<{ emulator: RunningEmulator; apps: FastifyInstance[] }> {
    emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
    const keyPrefix = server().keyPrefix();
    const encryptionKeys = [randomBytes(32)];
    const base = loadConfig({ API_KEYS: apiKeysEnv, FACE_MAX_TPS: String(MAX_TPS), FACE_MAX_WAIT_MS: "30000", SESSION_WATCH_INTERVAL_MS: "0" });
    const config = { ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY } };
    for (let i = 0; i < 2; i += 1) {
      const state = await openRedisState(server().url, { keyPrefix, encryptionKeys }, systemClock);
      const app = await buildApp(config, { state, logger: createLogger("silent") });
      await app.ready();
      apps.push(app);
    }
    return { emulator, apps };
  }

  /** A caller's create and one read of it, as fast as the instance lets them through. */
  async function createAndRead(app: FastifyInstance): Promise<number[]> {
    const created = await app.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness", deviceCorrelationId: "d-replicas" } });
    const read = await app.inject({ method: "GET", url: `/v1/sessions/${created.json<{ id: string }>().id}`, headers: auth() });
    return [created.statusCode, read.statusCode];
  }

  it("when both instances call Face as fast as callers ask, then Face never sees more than FACE_MAX_TPS + 1 calls in any second", async () => {
    const { emulator, apps } = await replicas();
    const flows = apps.flatMap((app) => Array.from({ length: 5 }, () => createAndRead(app)));
    expect((await Promise.all(flows)).flat()).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 201 : 200)));

    const times = emulator.state.requestLog().map((r) => r.at);
    expect(times).toHaveLength(20);
    for (let i = 0; i < times.length; i += 1) {
      const inSecond = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inSecond, `calls in the second from ${times[i]}`).toBeLessThanOrEqual(MAX_TPS + 1);
    }
  });

  it("when Face throttles one instance with Retry-After, then the other sends nothing to Face until it has passed", async () => {
    const { emulator, apps } = await replicas();
    emulator.state.faults.set([{ fault: "429", count: 1, retryAfterSeconds: 2, operations: ["createLivenessSession"] }]);
    const throttled = await apps[0]!.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness" } });
    expect(throttled.statusCode).toBe(503);
    expect(throttled.headers["retry-after"]).toBe("2");

    expect((await createAndRead(apps[1]!)).flat()).toEqual([201, 200]);
    const [refused, ...after] = emulator.state.requestLog();
    expect(after).toHaveLength(2);
    // The pause was set when the 429 came back, after Face logged the request: nothing may arrive before its end.
    for (const request of after) expect(request.at - refused!.at).toBeGreaterThanOrEqual(2000);
  });
});
