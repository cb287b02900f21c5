/** The in-memory idempotency store's contract: claims, ownership by token, expiry, sweeping. */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { MemoryIdempotencyStore } from "../../src/sessions/session-idempotency-store-memory.js";
import type { StoredCreateResponse } from "../../src/sessions/session-idempotency-store.js";

const clock = new ManualClock();
const stores: MemoryIdempotencyStore[] = [];
const newStore = () => {
  const store = new MemoryIdempotencyStore(clock);
  stores.push(store);
  return store;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const response: StoredCreateResponse = {
  status: 201,
  body: { id: "00000000-0000-4000-8000-000000000001", kind: "liveness", status: "notStarted", authToken: "t", authTokenExpiresAt: "2026-01-01T00:10:00.000Z", createdAt: "2026-01-01T00:00:00.000Z" },
};

describe("MemoryIdempotencyStore", () => {
  it("when a key is free, then the first claim owns it and the next sees it pending", async () => {
    const store = newStore();
    const first = await store.claim("k", "fp", 1000);
    expect(first.claimed).toBe(true);
    expect(await store.claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "pending", fingerprint: "fp" } });
  });

  it("when the owner completes, then later claims get the response, until the retention ends", async () => {
    const store = newStore();
    const claim = await store.claim("k", "fp", 1000);
    if (!claim.claimed) throw new Error("expected a claim");
    expect(await store.complete("k", claim.token, response, 5000)).toBe(true);
    clock.advance(4999);
    expect(await store.claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "completed", fingerprint: "fp", response } });
    clock.advance(1);
    expect((await store.claim("k", "fp", 1000)).claimed).toBe(true);
  });

  it("when the owner's lease lapses, then another claim takes the key and the old token can neither complete nor release it", async () => {
    const store = newStore();
    const old = await store.claim("k", "fp", 1000);
    clock.advance(1000);
    const next = await store.claim("k", "fp", 1000);
    if (!old.claimed || !next.claimed) throw new Error("expected two claims");
    expect(await store.complete("k", old.token, response, 5000)).toBe(false);
    await store.release("k", old.token);
    expect(await store.claim("k", "fp", 1000)).toMatchObject({ claimed: false, entry: { state: "pending" } });
    await store.release("k", next.token);
    expect((await store.claim("k", "fp", 1000)).claimed).toBe(true);
  });

  it("when an answer is changed by its reader, then the stored response is not", async () => {
    const store = newStore();
    const claim = await store.claim("k", "fp", 1000);
    if (!claim.claimed) throw new Error("expected a claim");
    await store.complete("k", claim.token, response, 5000);
    const seen = await store.claim("k", "fp", 1000);
    if (seen.claimed || seen.entry.state !== "completed") throw new Error("expected a completed entry");
    seen.entry.response.body.authToken = "changed";
    expect(await store.claim("k", "fp", 1000)).toMatchObject({ entry: { response: { body: { authToken: "t" } } } });
  });

  it("when entries expire, then the sweep removes them, so memory stays bounded", async () => {
    const store = newStore();
    for (let i = 0; i < 100; i += 1) await store.claim(`k${i}`, "fp", 1000);
    const kept = await store.claim("kept", "fp", 10_000);
    expect(kept.claimed).toBe(true);
    clock.advance(1000);
    expect(store.sweep()).toBe(100);
    expect(store.size).toBe(1);
  });
});
