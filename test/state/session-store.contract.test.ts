/**
 * The SessionStore contract, for every backend: records live until expiresAt, a decision settles once (with its
 * patch, in the same write), an outcome is counted once, and claimDue hands out due records earliest first, each
 * leased so no two workers hold it at once.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/state/session-record.js";
import type { SessionRecord } from "../../src/state/session-store.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

const HOUR = 60 * 60 * 1000;

const decision = (outcome: Decision["outcome"] = "approved"): Decision => ({ outcome, reasons: [{ code: "REAL_FACE" }], decidedAt: "2026-01-01T00:00:00.000Z" });

describe.each(backends)("SessionStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const store = () => ctx.state.sessions;

  const record = (extra: Partial<SessionRecord> = {}): SessionRecord => {
    const now = ctx.clock.now();
    return {
      id: randomUUID(),
      kind: "liveness",
      clientId: "acme",
      enableSessionImage: false,
      createdAt: now,
      authTokenExpiresAt: now + 10 * 60 * 1000,
      expiresAt: now + HOUR,
      lastKnownStatus: "NotStarted",
      lastCheckedAt: now,
      snapshot: { status: "NotStarted", attempts: [] },
      ...extra,
    };
  };

  const put = async (extra: Partial<SessionRecord> = {}) => {
    const r = record(extra);
    await store().put(r);
    return r;
  };

  it("when a record is put, then get answers an equal copy that its reader cannot change in the store", async () => {
    const r = await put({ subject: "user-1", snapshot: { status: "Running", attempts: [{ attemptId: 1, attemptStatus: "Running" }] } });
    const read = await store().get(r.id);
    expect(read).toEqual(r);
    read!.snapshot!.attempts[0]!.attemptId = 99;
    read!.subject = "changed";
    expect(await store().get(r.id)).toEqual(r);
    expect(await store().get(randomUUID())).toBeUndefined();
  });

  it("when a record is read read-only, then it equals the record, and a change to it (refused in memory) never reaches the store", async () => {
    const r = await put({ subject: "user-1", snapshot: { status: "Running", attempts: [{ attemptId: 1, attemptStatus: "Running" }] } });
    const read = await store().get(r.id, { readOnly: true });
    expect(read).toEqual(r);
    try {
      read!.snapshot!.attempts[0]!.attemptId = 99;
      read!.subject = "changed";
    } catch {
      // The memory store's records are frozen: the change throws (state-memory.test.ts asserts that it does).
    }
    expect(await store().get(r.id)).toEqual(r);
  });

  it("when the writer changes its record after put, then the stored copy keeps what was put, nested values included", async () => {
    const r = record({ snapshot: { status: "Running", attempts: [{ attemptId: 1, attemptStatus: "Running" }] } });
    await store().put(r);
    const kept = structuredClone(r);
    r.snapshot!.attempts[0]!.attemptId = 7;
    r.snapshot!.attempts.push({ attemptId: 2, attemptStatus: "Failed" });
    r.lastKnownStatus = "Failed";
    expect(await store().get(r.id)).toEqual(kept);
  });

  it("when a record's expiresAt passes, then it reads as absent, cannot be updated, and is never claimed", async () => {
    const r = await put({ expiresAt: ctx.clock.now() + 1000, dueAt: ctx.clock.now() + 500 });
    ctx.clock.advance(1000);
    expect(await store().get(r.id)).toBeUndefined();
    expect(await store().update(r.id, { clientDigest: "ab" })).toBeUndefined();
    expect(await store().claimDue(10, 1000)).toEqual([]);
  });

  it("when a record is updated, then the patch is applied and the new record answered; an absent record answers undefined", async () => {
    const r = await put();
    const updated = await store().update(r.id, { clientDigest: "abc", lastAttemptSeen: 2, lastKnownStatus: "Running" });
    expect(updated).toEqual({ ...r, clientDigest: "abc", lastAttemptSeen: 2, lastKnownStatus: "Running" });
    expect(await store().get(r.id)).toEqual(updated);
    expect(await store().update(randomUUID(), { clientDigest: "abc" })).toBeUndefined();
  });

  it("when a record is deleted, then it is gone, a second delete reports nothing, and it is never claimed", async () => {
    const r = await put({ dueAt: ctx.clock.now() });
    expect(await store().delete(r.id)).toBe(true);
    expect(await store().delete(r.id)).toBe(false);
    expect(await store().get(r.id)).toBeUndefined();
    expect(await store().claimDue(10, 1000)).toEqual([]);
  });

  describe("settle", () => {
    it("when a record is settled, then the decision and the patch are written together; a second settle changes nothing", async () => {
      const r = await put();
      const settled = await store().settle(r.id, { decision: decision(), digestCheck: "match" }, { decisionReadAt: 5, dueAt: null });
      expect(settled).toEqual({ ...r, decision: decision(), digestCheck: "match", decisionReadAt: 5 });
      expect(await store().settle(r.id, { decision: decision("declined"), digestCheck: "mismatch" }, { clientDigest: "late" })).toBeUndefined();
      expect(await store().get(r.id)).toEqual(settled);
    });

    it("when two settles race, then exactly one wins and its decision stands", async () => {
      const r = await put();
      const results = await Promise.all([
        store().settle(r.id, { decision: decision("approved"), digestCheck: "match" }),
        store().settle(r.id, { decision: decision("declined"), digestCheck: "mismatch" }),
      ]);
      const winners = results.filter((x) => x !== undefined);
      expect(winners).toHaveLength(1);
      expect((await store().get(r.id))?.decision).toEqual(winners[0]!.decision);
    });

    it("when a settlement carries outcomeCountedAt, then it is set unless the record was counted already", async () => {
      const fresh = await put();
      expect(await store().settle(fresh.id, { decision: decision("declined"), digestCheck: "notChecked", outcomeCountedAt: 7 })).toMatchObject({ outcomeCountedAt: 7 });
      const counted = await put({ outcomeCountedAt: 3 });
      expect(await store().settle(counted.id, { decision: decision("declined"), digestCheck: "notChecked", outcomeCountedAt: 7 })).toMatchObject({ outcomeCountedAt: 3 });
    });

    it("when the record is absent, then settle answers undefined", async () => {
      expect(await store().settle(randomUUID(), { decision: decision(), digestCheck: "match" })).toBeUndefined();
    });
  });

  describe("markOutcomeCounted", () => {
    it("when an outcome is counted twice, then only the first count takes, and the time it gave stays", async () => {
      const r = await put();
      expect(await store().markOutcomeCounted(r.id, 100)).toBe(true);
      expect(await store().markOutcomeCounted(r.id, 200)).toBe(false);
      expect((await store().get(r.id))?.outcomeCountedAt).toBe(100);
      expect(await store().markOutcomeCounted(randomUUID(), 100)).toBe(false);
    });

    it("when two counts race, then exactly one takes", async () => {
      const r = await put();
      const results = await Promise.all([store().markOutcomeCounted(r.id, 1), store().markOutcomeCounted(r.id, 2)]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe("claimDue", () => {
    it("when records are due, then they are claimed earliest dueAt first, up to the limit, and not-yet-due or unscheduled ones are left", async () => {
      const now = ctx.clock.now();
      const second = await put({ dueAt: now - 10 });
      const first = await put({ dueAt: now - 20 });
      const third = await put({ dueAt: now });
      await put({ dueAt: now + 1 });
      await put();
      expect((await store().claimDue(2, 1000)).map((r) => r.id)).toEqual([first.id, second.id]);
      expect((await store().claimDue(10, 1000)).map((r) => r.id)).toEqual([third.id]);
    });

    it("when a record is claimed, then it is leased: answered with dueAt at now + lease, claimed by no one else until the lease ends", async () => {
      const r = await put({ dueAt: ctx.clock.now() });
      const [claimed] = await store().claimDue(10, 5000);
      expect(claimed).toEqual({ ...r, dueAt: ctx.clock.now() + 5000, claim: 1 });
      expect(await store().get(r.id)).toEqual(claimed);
      ctx.clock.advance(4999);
      expect(await store().claimDue(10, 5000)).toEqual([]);
      ctx.clock.advance(1);
      expect((await store().claimDue(10, 5000)).map((x) => x.id)).toEqual([r.id]);
    });

    it("when a lease lapses and another worker claims the record, then the claim number grows and the first worker's fenced writes are refused", async () => {
      const r = await put({ dueAt: ctx.clock.now() });
      const [first] = await store().claimDue(10, 1000);
      expect(await store().update(r.id, { lastAttemptSeen: 1 }, { claim: first!.claim! })).toMatchObject({ lastAttemptSeen: 1 });
      ctx.clock.advance(1000);
      const [second] = await store().claimDue(10, 1000);
      expect(second!.claim).toBeGreaterThan(first!.claim!);
      expect(await store().update(r.id, { lastAttemptSeen: 2, dueAt: null }, { claim: first!.claim! })).toBeUndefined();
      expect(await store().get(r.id)).toMatchObject({ lastAttemptSeen: 1, dueAt: second!.dueAt });
      expect(await store().update(r.id, { dueAt: ctx.clock.now() + 50 }, { claim: second!.claim! })).toMatchObject({ dueAt: ctx.clock.now() + 50 });
      // Unfenced writes (a caller's read) go through whoever holds the claim.
      expect(await store().update(r.id, { lastAttemptSeen: 3 })).toMatchObject({ lastAttemptSeen: 3, claim: second!.claim });
    });

    it("when a record was never claimed, then a fenced write is refused", async () => {
      const r = await put({ dueAt: ctx.clock.now() + 1000 });
      expect(await store().update(r.id, { lastAttemptSeen: 1 }, { claim: 1 })).toBeUndefined();
      expect(await store().get(r.id)).not.toHaveProperty("lastAttemptSeen");
    });

    it("when two workers claim at once, then no record goes to both", async () => {
      for (let i = 0; i < 20; i += 1) await put({ dueAt: ctx.clock.now() - i });
      const [a, b] = await Promise.all([store().claimDue(15, 1000), store().claimDue(15, 1000)]);
      const ids = [...a!, ...b!].map((r) => r.id);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
    });

    it("when a worker sets the next due time, then the record is claimed again only then; dueAt null takes it out of the index", async () => {
      const r = await put({ dueAt: ctx.clock.now() });
      await store().claimDue(10, 1000);
      await store().update(r.id, { dueAt: ctx.clock.now() + 300 });
      ctx.clock.advance(299);
      expect(await store().claimDue(10, 1000)).toEqual([]);
      ctx.clock.advance(1);
      expect((await store().claimDue(10, 1000)).map((x) => x.id)).toEqual([r.id]);
      const cleared = await store().update(r.id, { dueAt: null });
      expect(cleared).not.toHaveProperty("dueAt");
      ctx.clock.advance(HOUR / 2);
      expect(await store().claimDue(10, 1000)).toEqual([]);
    });

    it("when a due time moves earlier, then the record is due at the earlier time", async () => {
      const r = await put({ dueAt: ctx.clock.now() + 10_000 });
      await store().update(r.id, { dueAt: ctx.clock.now() + 100 });
      ctx.clock.advance(100);
      expect((await store().claimDue(10, 1000)).map((x) => x.id)).toEqual([r.id]);
    });

    it("when a settle sets the due time, then the index follows it", async () => {
      const r = await put({ dueAt: ctx.clock.now() + 10_000 });
      await store().settle(r.id, { decision: decision("expired"), digestCheck: "notChecked" }, { dueAt: ctx.clock.now() });
      expect((await store().claimDue(10, 1000)).map((x) => x.id)).toEqual([r.id]);
    });
  });
});
