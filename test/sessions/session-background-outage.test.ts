/**
 * The background loop's log through a real Redis outage (redis-server stopped, then started again on the same
 * port): the first failed tick with its stack, then one line a minute (on the app's clock) with a count, and one
 * info line once a tick goes through again; never a stack per tick.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { QUIET_MS } from "../../src/lib/repeated-failure-log.js";
import { openRedisState } from "../../src/state/redis/redis-state.js";
import { startStack, type TestStack } from "../helpers/app-harness.js";
import { metric } from "../helpers/metrics-text.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";

const WAIT = { timeout: 20_000, interval: 100 };

describeRedis("the background loop's log while Redis is away", () => {
  const server = useRedisServer({ appendOnly: true });
  const clock = new ManualClock(Date.now());
  let stack: TestStack;

  beforeAll(async () => {
    const state = await openRedisState(server().url, { keyPrefix: server().keyPrefix(), encryptionKeys: [randomBytes(32)] }, clock);
    stack = await startStack({ SESSION_WATCH_INTERVAL_MS: "200", SESSION_SWEEP_INTERVAL_MS: "200" }, { state, clock });
  });
  afterAll(async () => stack?.close());

  const runs = async (result: "ok" | "failed") => {
    const scraped = await stack.app.inject({ method: "GET", url: "/metrics" });
    return metric(scraped.body, "lso_background_runs_total", { loop: "sessions", result }) ?? 0;
  };
  const lines = (msg: string) => stack.logs.records().filter((r) => r.msg === msg);

  it("when Redis stops for many ticks and comes back, then one stack, one counted line a minute, and one recovery line", async () => {
    await vi.waitFor(async () => expect(await runs("ok")).toBeGreaterThan(0), WAIT);

    await server().halt();
    await vi.waitFor(async () => expect(await runs("failed")).toBeGreaterThanOrEqual(5), WAIT);
    const failed = lines("session background work failed");
    expect(failed).toHaveLength(1);
    expect((failed[0]!.err as { stack?: string }).stack).toEqual(expect.any(String));
    expect(lines("session background work still failing")).toHaveLength(0);

    clock.advance(QUIET_MS);
    await vi.waitFor(() => expect(lines("session background work still failing")).toHaveLength(1), WAIT);
    const still = lines("session background work still failing")[0]!;
    expect(still.err).toBeUndefined();
    expect(still.failures).toEqual(expect.any(Number));
    expect(still.failures as number).toBeGreaterThanOrEqual(4);

    await server().resume();
    await vi.waitFor(() => expect(lines("session background work recovered")).toHaveLength(1), WAIT);
    const okAfter = await runs("ok");
    await vi.waitFor(async () => expect(await runs("ok")).toBeGreaterThan(okAfter + 2), WAIT);
    // Whatever ran in between: still one of each, and the recovery line at info.
    expect(lines("session background work failed")).toHaveLength(1);
    expect(lines("session background work still failing")).toHaveLength(1);
    expect(lines("session background work recovered")).toEqual([expect.objectContaining({ level: 30, failures: expect.any(Number) })]);
  });
});
