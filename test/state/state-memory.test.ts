/** What only the memory backend does: one timer sweeps every store, so memory follows live data; close forgets secrets. */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import type { SessionRecord } from "../../src/state/session-store.js";
import { createMemoryState } from "../../src/state/state-memory.js";

const HOUR = 60 * 60 * 1000;

describe("createMemoryState", () => {
  it("when entries expire, then the sweep removes them from every store, and keeps what is live", async () => {
    const clock = new ManualClock();
    const state = createMemoryState(clock);
    const t = clock.now();
    for (let i = 0; i < 100; i += 1) await state.idempotency.claim(`k${i}`, "fp", 1000);
    await state.idempotency.claim("kept", "fp", 10_000);
    for (let i = 0; i < 50; i += 1) await state.lockout.recordFailure(`short-${i}`, t, { maxFailures: 3, windowMs: 1000, cooldownMs: HOUR });
    await state.audit.append("old", { at: new Date(t).toISOString(), event: "created", actor: "acme" }, t + 1000);
    await state.audit.append("new", { at: new Date(t).toISOString(), event: "created", actor: "acme" }, t + HOUR);
    clock.advance(1000);
    expect(state.idempotency.sweep()).toBe(100);
    expect(state.idempotency.size).toBe(1);
    expect(state.lockout.sweep()).toBe(50);
    expect(state.audit.sweep()).toBe(1);
    expect(await state.audit.list("new", 10)).toHaveLength(1);
    await state.close();
  });

  it("when rate-limit windows have ended, then the sweep drops them and keeps the running ones; a count is answered at once, not as a promise", async () => {
    const state = createMemoryState(new ManualClock());
    // Windows follow the wall clock: one second for the ending ones, an hour for the one kept.
    for (let i = 0; i < 20; i += 1) state.rateLimits.consume(`ip:${i}`, 5, 1000);
    const running = state.rateLimits.consume("ip:kept", 5, HOUR);
    expect(running).toEqual({ allowed: true, remaining: 4, resetInMs: expect.any(Number) });
    await sleep(1100);
    expect(state.rateLimits.sweep()).toBe(20);
    expect(state.rateLimits.size).toBe(1);
    expect(state.rateLimits.consume("ip:kept", 5, HOUR)).toMatchObject({ allowed: true, remaining: 3 });
    await state.close();
  });

  it("when a session is read read-only, then it is the stored record, frozen to its nested values, and updates leave it as it was", async () => {
    const clock = new ManualClock();
    const state = createMemoryState(clock);
    const now = clock.now();
    await state.sessions.put({
      id: "s1", clientId: "acme", kind: "liveness", authToken: "t", createdAt: now, authTokenExpiresAt: now + HOUR, expiresAt: now + HOUR,
      snapshot: { status: "Running", attempts: [{ attemptId: 1, attemptStatus: "Running" }] },
    } as unknown as SessionRecord);
    const read = (await state.sessions.get("s1", { readOnly: true }))!;
    expect(read).toBe(await state.sessions.get("s1", { readOnly: true }));
    expect(() => {
      read.snapshot!.attempts[0]!.attemptId = 2;
    }).toThrow(TypeError);
    expect(() => {
      read.subject = "changed";
    }).toThrow(TypeError);
    await state.sessions.update("s1", { clientDigest: "ab" });
    expect(read.clientDigest).toBeUndefined();
    expect((await state.sessions.get("s1"))!.clientDigest).toBe("ab");
    await state.close();
  });

  it("when the state closes, then idempotent responses and images are forgotten, and closing again is harmless", async () => {
    const clock = new ManualClock();
    const state = createMemoryState(clock);
    const claim = await state.idempotency.claim("k", "fp", 1000);
    if (!claim.claimed) throw new Error("expected a claim");
    await state.idempotency.complete("k", claim.token, { status: 201, body: { authToken: "secret" } }, HOUR);
    await state.images.put({ sessionId: "s1", clientId: "acme", bytes: Uint8Array.from([1, 2, 3]), retainUntil: clock.now() + HOUR });
    await state.close();
    await state.close();
    expect(state.idempotency.size).toBe(0);
    expect(await state.images.get("s1")).toBeUndefined();
  });
});
