/** Which Redis failures are an outage (503) and which a bug (500), decided in one place, and never a leaked argument. */
import { ReplyError } from "ioredis";
import { describe, expect, it } from "vitest";
import { guardRedisStore, isRedisUnavailable, redisErrorReason, stateErrorOf } from "../../../src/state/redis/redis-errors.js";
import { StateUnavailableError } from "../../../src/state/state-errors.js";

const PASSWORD = "old-access-key-0123456789";

function replyError(message: string, command: { name: string; args: unknown[] }): Error {
  const error = new ReplyError(message);
  Object.assign(error, { command });
  return error;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.4:6380`), { code });
}

describe("telling a Redis outage from a bug", () => {
  it.each([
    ["a command while disconnected", new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ["a closed connection", new Error("Connection is closed.")],
    ["a command timeout", new Error("Command timed out")],
    ["a refused connection", socketError("ECONNREFUSED")],
    ["a reset connection", socketError("ECONNRESET")],
    ["an unknown host", socketError("ENOTFOUND")],
    ["Redis loading its AOF", replyError("LOADING Redis is loading the dataset in memory", { name: "get", args: [] })],
    ["a replica after failover", replyError("READONLY You can't write against a read only replica.", { name: "set", args: [] })],
    ["a rotated access key", replyError("WRONGPASS invalid username-password pair or user is disabled.", { name: "auth", args: [PASSWORD] })],
    ["a missing password", replyError("NOAUTH Authentication required.", { name: "get", args: [] })],
    ["Redis out of memory", replyError("OOM command not allowed when used memory > 'maxmemory'.", { name: "set", args: [] })],
  ])("when the error is %s, then it is an outage", (_name, error) => {
    expect(isRedisUnavailable(error)).toBe(true);
    expect(stateErrorOf(error)).toBeInstanceOf(StateUnavailableError);
  });

  it.each([
    ["a script bug", replyError("ERR user_script:3: attempt to compare nil with number", { name: "evalsha", args: ["k", "v"] })],
    ["a wrong type", replyError("WRONGTYPE Operation against a key holding the wrong kind of value", { name: "hget", args: ["k"] })],
    ["a plain bug", new TypeError("cannot read properties of undefined")],
  ])("when the error is %s, then it stays what it was (a 500)", (_name, error) => {
    expect(isRedisUnavailable(error)).toBe(false);
    expect(stateErrorOf(error)).toBe(error);
  });

  it("when a failed AUTH carries the password in its command, then neither the outage nor a bug passed on holds it", () => {
    const outage = stateErrorOf(replyError("WRONGPASS invalid username-password pair or user is disabled.", { name: "auth", args: [PASSWORD] }));
    const bug = stateErrorOf(replyError("ERR syntax error", { name: "set", args: ["k", PASSWORD] }));
    for (const error of [outage, bug]) {
      const everything = JSON.stringify({ ...(error as object), message: (error as Error).message, stack: (error as Error).stack });
      expect(everything).not.toContain(PASSWORD);
      expect(error).not.toHaveProperty("command");
    }
    expect((outage as StateUnavailableError).reason).toBe("WRONGPASS invalid username-password pair or user is disabled.");
  });

  it("when the connection is down, then the reason says so in plain words", () => {
    expect(redisErrorReason(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe("not connected to Redis (reconnecting)");
    expect(redisErrorReason(socketError("ECONNREFUSED"))).toBe("connect ECONNREFUSED 10.0.0.4:6380");
  });
});

describe("guarding a store", () => {
  class Store {
    calls = 0;
    async read(): Promise<string> {
      this.calls += 1;
      throw new Error("Connection is closed.");
    }
    async broken(): Promise<string> {
      throw new RangeError("a bug");
    }
    async fine(value: string): Promise<string> {
      this.calls += 1;
      return value;
    }
  }

  it("when a method rejects because Redis is down, then the caller gets StateUnavailableError; other rejections and answers pass through", async () => {
    const store = new Store();
    const guarded = guardRedisStore(store);
    await expect(guarded.read()).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(guarded.broken()).rejects.toBeInstanceOf(RangeError);
    expect(await guarded.fine("ok")).toBe("ok");
    // Methods still run on the store itself (its own `this`).
    expect(store.calls).toBe(2);
  });
});
