/** The state's Redis connection: bounded tries at startup, fail-fast commands while down, one log line each way. */
import { expect, it, vi } from "vitest";
import { openRedisConnection, RedisUnreachableError, tooOldRedisVersion } from "../../../src/state/redis/redis-connection.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";
import { freePort } from "../../helpers/free-port.js";

const PASSWORD = "connection-test-password";

function recordingLog() {
  const lines: { level: string; fields: object; message: string }[] = [];
  return {
    lines,
    info: (fields: object, message: string) => lines.push({ level: "info", fields, message }),
    warn: (fields: object, message: string) => lines.push({ level: "warn", fields, message }),
  };
}

it("when nothing listens, then it tries the given number of times and gives up naming the host, never the password", async () => {
  const port = await freePort();
  const log = recordingLog();
  const error = await openRedisConnection(`redis://:${PASSWORD}@127.0.0.1:${port}`, { attempts: 3, firstDelayMs: 10, log }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RedisUnreachableError);
  expect((error as Error).message).toBe(`Redis at 127.0.0.1:${port} did not answer after 3 attempts (last error: connect ECONNREFUSED 127.0.0.1:${port})`);
  expect(log.lines.map((l) => l.fields)).toEqual([
    { redis: `127.0.0.1:${port}`, attempt: 1, of: 3, retryInMs: 10, reason: `connect ECONNREFUSED 127.0.0.1:${port}` },
    { redis: `127.0.0.1:${port}`, attempt: 2, of: 3, retryInMs: 20, reason: `connect ECONNREFUSED 127.0.0.1:${port}` },
  ]);
  expect(JSON.stringify(log.lines) + (error as Error).message).not.toContain(PASSWORD);
});

it.each([
  ["redis_version:6.0.14\r\nredis_mode:standalone", "6.0.14"],
  ["redis_version:7.0.15\r\n", undefined],
  ["redis_version:7.4.2\r\n", undefined],
  ["# Server\r\nredis_mode:standalone\r\n", undefined],
])("when INFO says %j, then the version refused is %s", (info, refused) => {
  expect(tooOldRedisVersion(info)).toBe(refused);
});

describeRedis("a connection to a real Redis", () => {
  const server = useRedisServer({ password: PASSWORD });

  it("when Redis goes away, then commands fail at once instead of waiting, one line says so, and one line says it is back", async () => {
    const log = recordingLog();
    const redis = await openRedisConnection(server().url, { log });
    try {
      expect(await redis.ping()).toBe("PONG");
      await server().halt();
      await vi.waitFor(() => expect(redis.status).not.toBe("ready"), { timeout: 10_000 });
      await expect(redis.get("k")).rejects.toThrow(/Stream isn't writeable|Connection is closed/);
      await server().resume();
      await vi.waitFor(async () => expect(await redis.ping()).toBe("PONG"), { timeout: 15_000, interval: 100 });
      expect(log.lines.map((l) => `${l.level}: ${l.message.split(":")[0]}`)).toEqual(["warn: Redis connection lost", "info: Redis connection restored"]);
      expect(JSON.stringify(log.lines)).not.toContain(PASSWORD);
    } finally {
      redis.disconnect();
    }
  });
});
