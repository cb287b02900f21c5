/**
 * listSessions over a real memory store: pagination never repeats or skips a session, filters the index cannot
 * answer (kind, outcome) are bounded per page, and cursors are bound to their filters.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { Decision } from "../../src/state/session-record.js";
import { listSessions, MAX_INSPECTED } from "../../src/sessions/session-list.js";
import { sessionListQuerySchema, type SessionListQueryInput } from "../../src/sessions/session-list-schemas.js";
import type { MemorySessionStore } from "../../src/state/memory/session-store-memory.js";
import { createMemoryState, type MemoryState } from "../../src/state/state-memory.js";
import type { SessionRecord } from "../../src/state/session-store.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

let state: MemoryState;
let store: MemorySessionStore;
/** The outcome each test record gets: its decision is settled when it has one. */
const settled = new Map<string, Decision>();
beforeEach(() => {
  state = createMemoryState(new ManualClock(T0));
  store = state.sessions;
  settled.clear();
});
afterEach(async () => state.close());

const deps = () => ({
  store,
  decisionOf: (r: SessionRecord): Decision => settled.get(r.id) ?? { outcome: "pending", reasons: [], decidedAt: null },
});

async function seed(count: number, shape: (i: number) => Partial<SessionRecord> = () => ({})): Promise<SessionRecord[]> {
  const records: SessionRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const createdAt = T0 - (count - i) * 1000;
    const r: SessionRecord = {
      id: randomUUID(),
      kind: "liveness",
      clientId: "acme",
      enableSessionImage: false,
      createdAt,
      authTokenExpiresAt: createdAt + 600_000,
      expiresAt: T0 + 86_400_000,
      lastKnownStatus: "NotStarted",
      lastCheckedAt: createdAt,
      ...shape(i),
    };
    await store.put(r);
    records.push(r);
  }
  return records;
}

const query = (q: Record<string, string> = {}): SessionListQueryInput => sessionListQuerySchema.parse(q);

/** Follows nextCursor to the end; returns every id seen, in order, and the page sizes. */
async function walk(q: Record<string, string>): Promise<{ ids: string[]; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await listSessions(deps(), "acme", query({ ...q, ...(cursor ? { cursor } : {}) }));
    ids.push(...page.items.map((i) => i.id));
    sizes.push(page.items.length);
    cursor = page.nextCursor;
  } while (cursor);
  return { ids, sizes };
}

describe("listSessions", () => {
  it("when sessions span several pages, then following the cursor yields each once, newest first, and the last page has no cursor", async () => {
    const records = await seed(45);
    const { ids, sizes } = await walk({ limit: "20" });
    expect(ids).toEqual(records.map((r) => r.id).reverse());
    expect(sizes).toEqual([20, 20, 5]);
  });

  it("when the sessions fill exactly one page, then that page carries no cursor", async () => {
    await seed(20);
    const page = await listSessions(deps(), "acme", query());
    expect(page.items).toHaveLength(20);
    expect(page.nextCursor).toBeNull();
  });

  it("when a rare outcome is filtered among more sessions than a page inspects, then short pages with cursors still reach every match", async () => {
    const records = await seed(MAX_INSPECTED + 500, (i) => ({ kind: i % 2 ? "liveness" : "livenessWithVerify" }));
    const approved = [records[3]!, records[MAX_INSPECTED + 200]!, records[MAX_INSPECTED + 201]!];
    for (const r of approved) settled.set(r.id, { outcome: "approved", reasons: [], decidedAt: new Date(T0).toISOString() });
    const first = await listSessions(deps(), "acme", query({ outcome: "approved", limit: "5" }));
    // The first MAX_INSPECTED (newest) sessions hold two matches; the third lies beyond this page's budget.
    expect(first.items.map((i) => i.id)).toEqual([approved[2]!.id, approved[1]!.id]);
    expect(first.nextCursor).not.toBeNull();
    const { ids } = await walk({ outcome: "approved", limit: "5" });
    expect(ids).toEqual(approved.map((r) => r.id).reverse());
  });

  it("when kind and outcome filter together, then only sessions matching both are listed", async () => {
    const records = await seed(10, (i) => ({ kind: i < 5 ? "liveness" : "livenessWithVerify" }));
    settled.set(records[1]!.id, { outcome: "declined", reasons: [], decidedAt: new Date(T0).toISOString() });
    settled.set(records[7]!.id, { outcome: "declined", reasons: [], decidedAt: new Date(T0).toISOString() });
    const page = await listSessions(deps(), "acme", query({ kind: "livenessWithVerify", outcome: "declined" }));
    expect(page.items.map((i) => [i.id, i.kind, i.outcome])).toEqual([[records[7]!.id, "livenessWithVerify", "declined"]]);
  });

  it("when a cursor is replayed with other filters, then it is refused as a validation error on cursor", async () => {
    await seed(3);
    const page = await listSessions(deps(), "acme", query({ limit: "1" }));
    const replay = listSessions(deps(), "acme", query({ limit: "1", kind: "liveness", cursor: page.nextCursor! }));
    await expect(replay).rejects.toMatchObject({ code: "LSO_ERR_VALIDATION", fields: [{ path: "querystring.cursor" }] });
    await expect(replay).rejects.toBeInstanceOf(AppError);
  });

  it("when only the limit changes between pages, then the cursor still fits", async () => {
    const records = await seed(5);
    const first = await listSessions(deps(), "acme", query({ limit: "2" }));
    const second = await listSessions(deps(), "acme", query({ limit: "3", cursor: first.nextCursor! }));
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(records.map((r) => r.id).reverse());
  });
});
