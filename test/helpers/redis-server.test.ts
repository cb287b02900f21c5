import { access } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { planRedis } from "./redis-global-setup.js";
import { describeRedis, startRedisServer, useRedisServer } from "./redis-server.js";

describe("the run's Redis plan", () => {
  it("when redis-server is not on PATH and REDIS_URL is unset, then the Redis suites are named in one skip line", async () => {
    const plan = await planRedis({ PATH: "/nonexistent" });
    expect(plan.source).toBeNull();
    expect(plan.notice?.split("\n")).toHaveLength(1);
    expect(plan.notice).toContain("test/helpers/redis-server.test.ts");
    expect(plan.notice).toContain("install redis-server");
  });

  it("when REQUIRE_REDIS=1 and there is no Redis, then the run fails", async () => {
    await expect(planRedis({ PATH: "/nonexistent", REQUIRE_REDIS: "1" })).rejects.toThrow(/REQUIRE_REDIS=1/);
  });

  it("when only REDIS_URL is set, then the suites share that server", async () => {
    const plan = await planRedis({ PATH: "/nonexistent", REDIS_URL: "redis://10.0.0.1:6380" });
    expect(plan.source).toEqual({ url: "redis://10.0.0.1:6380" });
  });
});

describeRedis("a redis-server for a test file", () => {
  const server = useRedisServer();

  it("when started, then it answers PING on an ephemeral port named by a redis:// URL", async () => {
    const s = server();
    expect(s.url).toMatch(/^redis:\/\/[^:]+:\d+$/);
    expect(s.port).toBeGreaterThan(0);
    expect(await s.client().ping()).toBe("PONG");
  });

  it("when asked for key prefixes, then no two are the same", () => {
    const s = server();
    expect(s.keyPrefix()).not.toBe(s.keyPrefix());
  });
});

describeRedis("a private redis-server's restart", () => {
  it("when AOF is on, then a value written before a restart is there after it, on the same port", async () => {
    const s = await startRedisServer({ appendOnly: true });
    try {
      // A shared REDIS_URL server cannot be restarted; this proves the private one.
      expect(s.external).toBe(false);
      const client = s.client();
      await client.set("kept", "yes");
      const port = s.port;
      await s.restart();
      expect(s.port).toBe(port);
      expect(await client.get("kept")).toBe("yes");
    } finally {
      await s.stop();
    }
  });

  it("when AOF is off (and RDB saving off), then a restart forgets everything", async () => {
    const s = await startRedisServer();
    try {
      const client = s.client();
      await client.set("lost", "yes");
      await s.restart();
      expect(await client.get("lost")).toBeNull();
    } finally {
      await s.stop();
    }
  });

  it("when two servers run at once, then they listen on different ports and stop() removes their dirs", async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    expect(a.port).not.toBe(b.port);
    const dirs = [await a.client().config("GET", "dir"), await b.client().config("GET", "dir")].map((r) => (r as string[])[1] as string);
    await Promise.all([a.stop(), b.stop()]);
    for (const dir of dirs) await expect(access(dir)).rejects.toThrow();
  });
});
