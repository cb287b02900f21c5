/**
 * The state backends every contract suite in test/state runs over, written once against the interfaces:
 * `describe.each(backends)("... ($name)", (backend) => { const ctx = stateFixture(backend); ... })`. A backend makes
 * a fresh, empty state on the test's ManualClock (the Face quota's clock included); each test gets its own and
 * closes it.
 *
 * Redis joins the list when the run has one (redis-global-setup.ts): one real redis-server per test file, started
 * at the first Redis state and stopped after the file; each state gets its own key prefix and connection, so tests
 * never see each other's keys.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeEach } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";
import { redisSource, startRedisServer, type RedisServer } from "./redis-server.js";

export interface StateBackend {
  name: string;
  /** A fresh state, empty as far as the test can tell, that reads `clock`. */
  create(clock: ManualClock): Promise<State>;
}

let redisServer: Promise<RedisServer> | undefined;
afterAll(async () => {
  await (await redisServer)?.stop();
});

/**
 * A key ring of one fresh key per state: what it sealed, no other state can open. Opened as server.ts opens it
 * (fail-fast connection), so the contracts hold on the production connection settings.
 */
async function createRedisTestState(clock: ManualClock): Promise<State> {
  redisServer ??= startRedisServer();
  const server = await redisServer;
  return openRedisState(server.url, { keyPrefix: server.keyPrefix(), encryptionKeys: [randomBytes(32)], quotaClock: clock }, clock);
}

export const backends: StateBackend[] = [
  { name: "memory", create: async (clock) => createMemoryState(clock, { quotaClock: clock }) },
  ...(redisSource ? [{ name: "redis", create: createRedisTestState }] : []),
];

export interface StateContext {
  state: State;
  clock: ManualClock;
}

/** A fresh state and clock per test (read them inside the test: they are replaced before each one). */
export function stateFixture(backend: StateBackend): StateContext {
  const ctx = {} as StateContext;
  beforeEach(async () => {
    ctx.clock = new ManualClock();
    ctx.state = await backend.create(ctx.clock);
  });
  afterEach(async () => {
    await ctx.state.close();
  });
  return ctx;
}
