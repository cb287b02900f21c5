/**
 * The live-session cap's contract, for every backend: a client's slots are held by its unsettled, unerased records
 * within their token's life and by create tickets, taken atomically (concurrent admissions never pass the cap), and
 * freed by a settle, a delete, an erasure tombstone, a token that lapsed unsettled, a ticket's release or its hold
 * running out, with no background work.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/state/session-store.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

describe.each(backends)("SessionStore live-session cap ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const store = () => ctx.state.sessions;

  const put = async (extra: Partial<SessionRecord> = {}) => {
    const now = ctx.clock.now();
    const record: SessionRecord = {
      id: randomUUID(),
      kind: "liveness",
      clientId: "acme",
      enableSessionImage: false,
      createdAt: now,
      authTokenExpiresAt: now + 10 * MINUTE,
      expiresAt: now + HOUR,
      lastKnownStatus: "NotStarted",
      lastCheckedAt: now,
      ...extra,
    };
    await store().put(record);
    return record;
  };
  const admit = (max: number, clientId = "acme", ticket = randomUUID()) => store().admitLive(clientId, ticket, max, ctx.clock.now() + MINUTE);
  const settle = (id: string) => store().settle(id, { decision: { outcome: "approved", reasons: [], decidedAt: "2026-01-01T00:00:00.000Z" }, digestCheck: "match" });

  it("when a client holds max live sessions, then a further admission is refused with the earliest time a slot frees", async () => {
    const first = await put({ authTokenExpiresAt: ctx.clock.now() + 5 * MINUTE });
    await put();
    expect(await store().countLive("acme")).toBe(2);
    expect(await admit(2)).toEqual({ admitted: false, freesAt: first.authTokenExpiresAt });
    expect(await admit(3)).toEqual({ admitted: true });
    expect(await store().countLive("acme")).toBe(3);
    // Another client's count is its own.
    expect(await admit(1, "globex")).toEqual({ admitted: true });
  });

  it("when a create's record is put with its ticket to release, then the record holds the one slot the ticket held", async () => {
    const ticket = randomUUID();
    expect(await admit(1, "acme", ticket)).toEqual({ admitted: true });
    const now = ctx.clock.now();
    await store().put(
      { id: randomUUID(), kind: "liveness", clientId: "acme", enableSessionImage: false, createdAt: now, authTokenExpiresAt: now + 10 * MINUTE, expiresAt: now + HOUR, lastKnownStatus: "NotStarted", lastCheckedAt: now },
      { releaseLive: ticket },
    );
    expect(await store().countLive("acme")).toBe(1);
    expect((await admit(2)).admitted).toBe(true);
    // Past every ticket's hold, the record still holds its own slot.
    ctx.clock.advance(MINUTE);
    expect(await store().countLive("acme")).toBe(1);
  });

  it("when admissions race for the last slots, then exactly the free ones are taken", async () => {
    await put();
    const results = await Promise.all(Array.from({ length: 8 }, () => admit(4)));
    expect(results.filter((r) => r.admitted)).toHaveLength(3);
    expect(await store().countLive("acme")).toBe(4);
  });

  it("when a ticket is released, or its hold runs out, then its slot is free again", async () => {
    const ticket = randomUUID();
    expect(await admit(1, "acme", ticket)).toEqual({ admitted: true });
    expect((await admit(1)).admitted).toBe(false);
    await store().releaseLive("acme", ticket);
    expect(await admit(1)).toEqual({ admitted: true });
    ctx.clock.advance(MINUTE);
    expect(await store().countLive("acme")).toBe(0);
    expect(await admit(1)).toEqual({ admitted: true });
  });

  it("when a record settles, is deleted, or is replaced by an erasure tombstone, then it holds no slot", async () => {
    const settled = await put();
    const deleted = await put();
    const erased = await put();
    expect(await store().countLive("acme")).toBe(3);
    await settle(settled.id);
    await store().delete(deleted.id);
    await store().delete(erased.id);
    await store().put({ ...erased, erased: true, faceDeletionDue: true });
    expect(await store().countLive("acme")).toBe(0);
    expect(await admit(1)).toEqual({ admitted: true });
  });

  it("when a session's token lapses unsettled, then it stops holding a slot at the lapse, with no background work", async () => {
    const lapsing = await put({ authTokenExpiresAt: ctx.clock.now() + 2 * MINUTE });
    expect((await admit(1)).admitted).toBe(false);
    ctx.clock.advance(2 * MINUTE);
    expect(await store().get(lapsing.id)).toBeDefined();
    expect(await store().countLive("acme")).toBe(0);
    expect(await admit(1)).toEqual({ admitted: true });
  });

  it("when a record is put settled, or already past its token, then it never holds a slot", async () => {
    await put({ decision: { outcome: "expired", reasons: [], decidedAt: "2026-01-01T00:00:00.000Z" } });
    await put({ authTokenExpiresAt: ctx.clock.now() });
    expect(await store().countLive("acme")).toBe(0);
  });

  it("when the slot with the earliest lapse is freed, or held again until later, then a refusal names the earliest lapse still held", async () => {
    const now = ctx.clock.now();
    const first = await put({ authTokenExpiresAt: now + 2 * MINUTE });
    const second = await put({ authTokenExpiresAt: now + 5 * MINUTE });
    const third = await put({ authTokenExpiresAt: now + 8 * MINUTE });
    await settle(first.id);
    expect(await admit(2)).toEqual({ admitted: false, freesAt: second.authTokenExpiresAt });
    await store().put({ ...second, authTokenExpiresAt: now + 9 * MINUTE });
    expect(await admit(2)).toEqual({ admitted: false, freesAt: third.authTokenExpiresAt });
    // Past the third's lapse only the second, held again until later, still counts.
    ctx.clock.advance(8 * MINUTE);
    expect(await store().countLive("acme")).toBe(1);
  });
});
