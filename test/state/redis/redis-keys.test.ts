import { describe, expect, it } from "vitest";
import { DEFAULT_KEY_PREFIX, hashTagOf, redisKeys } from "../../../src/state/redis/redis-keys.js";

describe("Redis key names", () => {
  const keys = redisKeys("app1:");

  it("when no prefix is given, then keys start with lso:", () => {
    expect(DEFAULT_KEY_PREFIX).toBe("lso:");
    expect(redisKeys().sessions.due.startsWith("lso:")).toBe(true);
  });

  it("when keys are built, then every one starts with the prefix", () => {
    const all = [
      keys.sessions.record("s1"),
      keys.sessions.due,
      keys.idempotency("acme:key"),
      keys.lockout.failures("subject:x"),
      keys.lockout.state("subject:x"),
      keys.rateLimit("ip:127.0.0.1"),
      keys.outbox.delivery("w1"),
      keys.outbox.due,
      keys.outbox.bySession("s1"),
      keys.audit("s1"),
      keys.images.bytes("s1"),
      keys.images.meta("s1"),
      keys.images.due,
      keys.lease.holder("watcher"),
      keys.lease.fence("watcher"),
      keys.channel("settled"),
    ];
    for (const key of all) expect(key.startsWith("app1:")).toBe(true);
  });

  it("when a store's script touches several keys, then they share one hash tag (one cluster slot)", () => {
    expect(hashTagOf(keys.sessions.record("s1"))).toBe(hashTagOf(keys.sessions.due));
    expect(hashTagOf(keys.outbox.delivery("w1"))).toBe(hashTagOf(keys.outbox.due));
    expect(hashTagOf(keys.outbox.bySession("s1"))).toBe(hashTagOf(keys.outbox.due));
    expect(hashTagOf(keys.images.bytes("s1"))).toBe(hashTagOf(keys.images.due));
    expect(hashTagOf(keys.images.meta("s1"))).toBe(hashTagOf(keys.images.due));
    expect(hashTagOf(keys.lockout.failures("k"))).toBe(hashTagOf(keys.lockout.state("k")));
    expect(hashTagOf(keys.lease.holder("n"))).toBe(hashTagOf(keys.lease.fence("n")));
  });

  it("when two lockout subjects differ, then their keys land on different tags (they spread over the cluster)", () => {
    expect(hashTagOf(keys.lockout.state("subject:a"))).not.toBe(hashTagOf(keys.lockout.state("subject:b")));
  });

  it("when a caller-chosen string holds personal data or braces, then only its hash is in the key", () => {
    const key = keys.lockout.state("subject:acme:alice@example.com}{x");
    expect(key).not.toContain("alice");
    expect(key.match(/[{}]/g)).toHaveLength(2);
    expect(keys.rateLimit("ip:203.0.113.9")).not.toContain("203.0.113.9");
    expect(keys.idempotency("acme:order-42")).not.toContain("order-42");
    expect(keys.sessions.record("bad}{id")).not.toContain("bad}");
  });

  it("when the prefix holds a brace or is too long, then it is refused", () => {
    expect(() => redisKeys("a{b}:")).toThrow(/prefix/);
    expect(() => redisKeys("x".repeat(65))).toThrow(/prefix/);
  });
});
