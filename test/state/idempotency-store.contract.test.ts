/**
 * The IdempotencyStore contract, for every backend: claims, ownership by token, completion, release, expiry, and
 * forget (what both a session's DELETE and its subject's erasure do to the key that created it).
 */
import { describe, expect, it } from "vitest";
import type { StoredResponse } from "../../src/state/idempotency-store.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

const response: StoredResponse = {
  status: 201,
  body: { id: "00000000-0000-4000-8000-000000000001", kind: "liveness", status: "notStarted", authToken: "t", authTokenExpiresAt: "2026-01-01T00:10:00.000Z", createdAt: "2026-01-01T00:00:00.000Z" },
};

describe.each(backends)("IdempotencyStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const store = () => ctx.state.idempotency;

  const claimed = async (key = "k", leaseMs = 1000) => {
    const claim = await store().claim(key, "fp", leaseMs);
    if (!claim.claimed) throw new Error("expected the key to be free");
    return claim.token;
  };

  it("when a key is free, then the first claim owns it and the next sees it pending", async () => {
    await claimed();
    expect(await store().claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "pending", fingerprint: "fp" } });
  });

  it("when two claims race for a free key, then exactly one owns it", async () => {
    const results = await Promise.all([store().claim("k", "a", 1000), store().claim("k", "b", 1000)]);
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it("when the owner completes, then later claims get the response, until the retention ends", async () => {
    const token = await claimed();
    expect(await store().complete("k", token, response, 5000)).toBe(true);
    ctx.clock.advance(4999);
    expect(await store().claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "completed", fingerprint: "fp", response } });
    ctx.clock.advance(1);
    expect((await store().claim("k", "fp", 1000)).claimed).toBe(true);
  });

  it("when a completed key's token is used again, then it can neither complete nor release the key", async () => {
    const token = await claimed();
    await store().complete("k", token, response, 5000);
    expect(await store().complete("k", token, { status: 201, body: { id: "other" } }, 5000)).toBe(false);
    await store().release("k", token);
    expect(await store().claim("k", "fp", 1000)).toMatchObject({ claimed: false, entry: { state: "completed", response } });
  });

  it("when the owner's lease lapses, then another claim takes the key and the old token can neither complete nor release it", async () => {
    const old = await claimed();
    ctx.clock.advance(1000);
    const next = await claimed();
    expect(await store().complete("k", old, response, 5000)).toBe(false);
    await store().release("k", old);
    expect(await store().claim("k", "fp", 1000)).toMatchObject({ claimed: false, entry: { state: "pending" } });
    await store().release("k", next);
    expect((await store().claim("k", "fp", 1000)).claimed).toBe(true);
  });

  it("when an answer is changed by its reader, then the stored response is not", async () => {
    const token = await claimed();
    await store().complete("k", token, response, 5000);
    const seen = await store().claim("k", "fp", 1000);
    if (seen.claimed || seen.entry.state !== "completed") throw new Error("expected a completed entry");
    (seen.entry.response.body as { authToken: string }).authToken = "changed";
    expect(await store().claim("k", "fp", 1000)).toMatchObject({ entry: { response: { body: { authToken: "t" } } } });
  });

  it("when the session a key created is forgotten, then the key answers forgotten, with neither response nor fingerprint, until its retention ends", async () => {
    const token = await claimed();
    await store().complete("k", token, response, 5000, "s-1");
    expect(await store().forget("k", "s-1")).toBe(true);
    ctx.clock.advance(4999);
    expect(await store().claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "forgotten" } });
    expect(await store().claim("k", "other-fp", 1000)).toEqual({ claimed: false, entry: { state: "forgotten" } });
    expect(await store().forget("k", "s-1")).toBe(false);
    ctx.clock.advance(1);
    expect((await store().claim("k", "fp", 1000)).claimed).toBe(true);
  });

  it("when a key is forgotten for another session than the one it completed, then its entry is untouched", async () => {
    const token = await claimed();
    await store().complete("k", token, response, 5000, "s-1");
    expect(await store().forget("k", "s-2")).toBe(false);
    expect(await store().claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "completed", fingerprint: "fp", response } });
  });

  it("when a pending key is forgotten, then its owner can no longer store the response and the key stays forgotten for the lease", async () => {
    const token = await claimed("k", 1000);
    expect(await store().forget("k", "s-1")).toBe(true);
    expect(await store().complete("k", token, response, 5000, "s-1")).toBe(false);
    expect(await store().claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "forgotten" } });
    ctx.clock.advance(1000);
    expect((await store().claim("k", "fp", 1000)).claimed).toBe(true);
  });

  it("when an absent or expired key is forgotten, then nothing is forgotten and the key stays free", async () => {
    const token = await claimed("expired", 1000);
    await store().complete("expired", token, response, 1000, "s-1");
    ctx.clock.advance(1000);
    expect(await store().forget("expired", "s-1")).toBe(false);
    expect(await store().forget("absent", "s-1")).toBe(false);
    expect((await store().claim("expired", "fp", 1000)).claimed).toBe(true);
    expect((await store().claim("absent", "fp", 1000)).claimed).toBe(true);
  });

  it("when a key was completed without naming its session, then forgetting it by its key forgets it", async () => {
    const token = await claimed();
    await store().complete("k", token, response, 5000);
    expect(await store().forget("k", "s-1")).toBe(true);
    expect(await store().claim("k", "fp", 1000)).toEqual({ claimed: false, entry: { state: "forgotten" } });
  });
});
