/**
 * The store's indexed list, written once against the SessionStore interface so every backend runs the same cases
 * (memory, and Redis on a real redis-server when the run has one).
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import type { SessionListQuery, SessionRecord, SessionStore } from "../../src/state/session-store.js";
import type { State } from "../../src/state/state.js";
import { backends } from "../helpers/state-backends.js";


const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const DAY = 86_400_000;


function record(overrides: Partial<SessionRecord> & { createdAt: number }): SessionRecord {
  return {
    id: randomUUID(),
    kind: "liveness",
    clientId: "acme",
    enableSessionImage: false,
    authTokenExpiresAt: overrides.createdAt + 600_000,
    expiresAt: overrides.createdAt + DAY,
    lastKnownStatus: "NotStarted",
    lastCheckedAt: overrides.createdAt,
    ...overrides,
  };
}

describe.each(backends)("SessionStore.listByClient ($name)", (backend) => {
  let clock: ManualClock;
  let state: State;
  let store: SessionStore;
  beforeEach(async () => {
    clock = new ManualClock(T0);
    state = await backend.create(clock);
    store = state.sessions;
  });
  afterEach(async () => state.close());

  const ids = async (query: Partial<SessionListQuery> = {}) =>
    (await store.listByClient({ clientId: "acme", limit: 100, ...query })).map((r) => r.id);

  it("when a client has sessions, then they come newest first, ties broken by id, and never another client's", async () => {
    const a = record({ createdAt: T0 + 10, id: "00000000-0000-4000-8000-00000000000a" });
    const b = record({ createdAt: T0 + 20, id: "00000000-0000-4000-8000-00000000000b" });
    const c = record({ createdAt: T0 + 20, id: "00000000-0000-4000-8000-00000000000c" });
    const other = record({ createdAt: T0 + 15, clientId: "globex" });
    // Put out of order: the index must sort, not trust arrival order.
    for (const r of [c, other, a, b]) await store.put(r);
    expect(await ids()).toEqual([c.id, b.id, a.id]);
    expect((await store.listByClient({ clientId: "globex", limit: 10 })).map((r) => r.id)).toEqual([other.id]);
    expect(await store.listByClient({ clientId: "initech", limit: 10 })).toEqual([]);
  });

  it("when paging with after and a limit, then each page resumes strictly after the last one", async () => {
    const records = Array.from({ length: 7 }, (_, i) => record({ createdAt: T0 + i * 1000 }));
    for (const r of records) await store.put(r);
    const newestFirst = records.map((r) => r.id).reverse();
    const first = await store.listByClient({ clientId: "acme", limit: 3 });
    const last = first[first.length - 1]!;
    const second = await store.listByClient({ clientId: "acme", limit: 3, after: { createdAt: last.createdAt, id: last.id } });
    expect([...first, ...second].map((r) => r.id)).toEqual(newestFirst.slice(0, 6));
  });

  it("when a creation range is given, then createdFrom is inclusive and createdTo exclusive", async () => {
    const records = [0, 1, 2, 3].map((i) => record({ createdAt: T0 + i * 1000 }));
    for (const r of records) await store.put(r);
    expect(await ids({ createdFrom: T0 + 1000, createdTo: T0 + 3000 })).toEqual([records[2]!.id, records[1]!.id]);
    expect(await ids({ createdTo: T0 })).toEqual([]);
  });

  it("when a subject is given, then only that subject's sessions of that client come back", async () => {
    const mine = record({ createdAt: T0 + 1, subject: "user-1" });
    const otherSubject = record({ createdAt: T0 + 2, subject: "user-2" });
    const noSubject = record({ createdAt: T0 + 3 });
    const otherClient = record({ createdAt: T0 + 4, subject: "user-1", clientId: "globex" });
    for (const r of [mine, otherSubject, noSubject, otherClient]) await store.put(r);
    expect(await ids({ subject: "user-1" })).toEqual([mine.id]);
  });

  it("when a record is deleted or expires, then it leaves the list", async () => {
    const deleted = record({ createdAt: T0 + 1, subject: "s" });
    const expiring = record({ createdAt: T0 + 2, subject: "s", expiresAt: T0 + 60_000 });
    const kept = record({ createdAt: T0 + 3, subject: "s" });
    for (const r of [deleted, expiring, kept]) await store.put(r);
    await store.delete(deleted.id);
    clock.advance(60_000);
    expect(await ids()).toEqual([kept.id]);
    expect(await ids({ subject: "s" })).toEqual([kept.id]);
  });

  it("when a page's worth of records has expired, then the page fills from the live ones behind them", async () => {
    const live = record({ createdAt: T0 });
    const expired = Array.from({ length: 5 }, (_, i) => record({ createdAt: T0 + 1 + i, expiresAt: T0 + 1000 }));
    for (const r of [live, ...expired]) await store.put(r);
    clock.advance(1000);
    expect(await ids({ limit: 2 })).toEqual([live.id]);
  });

  it("when a record is put again with another subject, then it is listed under the new one only", async () => {
    const r = record({ createdAt: T0, subject: "before" });
    await store.put(r);
    await store.put({ ...r, subject: "after" });
    expect(await ids({ subject: "before" })).toEqual([]);
    expect(await ids({ subject: "after" })).toEqual([r.id]);
    expect(await ids()).toEqual([r.id]);
  });

  /** Every page of `limit` from the start, following `after` as session-list.ts does, until a short page. */
  const allPages = async (query: Partial<SessionListQuery> & { limit: number }) => {
    const pages: string[][] = [];
    let after: SessionListQuery["after"];
    for (;;) {
      const page = await store.listByClient({ clientId: "acme", ...query, after });
      pages.push(page.map((r) => r.id));
      const last = page.at(-1);
      if (page.length < query.limit || !last) return pages;
      after = { createdAt: last.createdAt, id: last.id };
    }
  };

  it("when 50 sessions share one createdAt millisecond, then pages of 10 are full and hold every session once, in id order", async () => {
    const records = Array.from({ length: 50 }, () => record({ createdAt: T0 + 5 }));
    for (const r of records) await store.put(r);
    const pages = await allPages({ limit: 10 });
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 10, 0]);
    expect(pages.flat()).toEqual(records.map((r) => r.id).sort().reverse());
  });

  it("when a tie spans the page boundary between other times, with a subject and a range, then the pages still hold each session once in order", async () => {
    const tied = Array.from({ length: 30 }, () => record({ createdAt: T0 + 5, subject: "s" }));
    const newer = Array.from({ length: 4 }, (_, i) => record({ createdAt: T0 + 6 + i, subject: "s" }));
    const older = Array.from({ length: 4 }, (_, i) => record({ createdAt: T0 + 1 + i, subject: "s" }));
    const outOfRange = [record({ createdAt: T0, subject: "s" }), record({ createdAt: T0 + 10, subject: "s" })];
    for (const r of [...tied, ...newer, ...older, ...outOfRange]) await store.put(r);
    const expected = [...newer, ...tied, ...older].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    const pages = await allPages({ limit: 7, subject: "s", createdFrom: T0 + 1, createdTo: T0 + 10 });
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 7, 3]);
    expect(pages.flat()).toEqual(expected);
  });

  it("when the session a cursor names is deleted before the next page, then the page resumes after where it stood", async () => {
    const records = Array.from({ length: 60 }, () => record({ createdAt: T0 + 5 }));
    for (const r of records) await store.put(r);
    const newestFirst = records.map((r) => r.id).sort().reverse();
    const first = await store.listByClient({ clientId: "acme", limit: 30 });
    const last = first.at(-1)!;
    await store.delete(last.id);
    const second = await store.listByClient({ clientId: "acme", limit: 10, after: { createdAt: last.createdAt, id: last.id } });
    expect(second.map((r) => r.id)).toEqual(newestFirst.slice(30, 40));
  });
});
