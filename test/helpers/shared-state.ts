/**
 * Backends on which several apps share one state, as replicas behind a load balancer share one Redis: memory (one
 * state object for every app, as apps in one process would share it) and, when the run has Redis, a real
 * redis-server with a connection per app, as separate processes would have.
 */
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { systemClock } from "../../src/lib/clock.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";
import { redisSource, startRedisServer, type RedisServer } from "./redis-server.js";

export interface SharedBackend {
  name: string;
  /** One state per app, all sharing the same data. */
  states(count: number): Promise<State[]>;
}

/** Call at a test file's top level: the Redis server, started on first use, stops after the file. */
export function sharedStateBackends(): SharedBackend[] {
  let redis: Promise<RedisServer> | undefined;
  afterAll(async () => {
    await (await redis)?.stop();
  });
  const memory: SharedBackend = {
    name: "memory",
    // Each app closes the state it was given; closing twice is harmless.
    states: async (count) => Array.from({ length: count }).fill(createMemoryState(systemClock)) as State[],
  };
  const onRedis: SharedBackend = {
    name: "redis",
    states: async (count) => {
      redis ??= startRedisServer();
      const server = await redis;
      const keyPrefix = server.keyPrefix();
      const encryptionKeys = [randomBytes(32)];
      return Promise.all(Array.from({ length: count }, () => openRedisState(server.url, { keyPrefix, encryptionKeys }, systemClock)));
    },
  };
  return redisSource ? [memory, onRedis] : [memory];
}
