/** The bus subscriber: fire-and-forget appends whose failures are logged as warnings and never reach a request. */
import { afterEach, describe, expect, it } from "vitest";
import { auditRecorder } from "../../src/audit/audit-recorder.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { AuditLog } from "../../src/state/audit-log.js";
import { MemoryAuditLog } from "../../src/state/memory/audit-log-memory.js";
import { MemorySessionStore } from "../../src/state/memory/session-store-memory.js";
import { createSession } from "../helpers/app-harness.js";
import { eventFor, startAuditStack, type AuditStack } from "./audit-kit.js";

/** An audit backend that is down: every append rejects; it holds nothing. */
const unavailableAuditLog: AuditLog = {
  append: async () => {
    throw new Error("audit backend unavailable");
  },
  appendMany: async () => {
    throw new Error("audit backend unavailable");
  },
  list: async () => [],
  deleteSession: async () => false,
};

let stack: AuditStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const warnings = (s: AuditStack, msg: string) => s.logs.records().filter((r) => r.level === 40 && r.msg === msg);

describe("audit recorder", () => {
  it("when the audit store fails, then the request still succeeds and each lost entry is one warning", async () => {
    stack = await startAuditStack({ auditLog: unavailableAuditLog });
    const created = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" });
    expect(created.statusCode).toBe(201);

    const record = await stack.plantSession();
    expect(() => stack!.bus.emit(eventFor(record, stack!.clock, { type: "created", kind: "liveness" }))).not.toThrow();
    await stack.bus.drain();

    expect(stack.listenerErrors).toEqual([]);
    expect(warnings(stack, "could not append to the audit trail")).toEqual(
      expect.arrayContaining([expect.objectContaining({ sessionId: record.id, event: "created", component: "audit" })]),
    );
    expect((await stack.readAudit(record.id)).json()).toEqual({ sessionId: record.id, entries: [] });
  });

  it("when an event cannot make a valid entry, then it is refused with a warning naming the field, not its value", async () => {
    stack = await startAuditStack();
    const record = await stack.plantSession();
    stack.bus.emit(eventFor(record, stack.clock, { type: "decided", decision: { outcome: "bogus-outcome", reasons: [], decidedAt: null }, digestCheck: "match" }));
    await stack.bus.drain();
    const [warning] = warnings(stack, "audit entry refused");
    expect(warning).toMatchObject({ sessionId: record.id, event: "decided", problem: "outcome" });
    expect(JSON.stringify(warning)).not.toContain("bogus-outcome");
    expect((await stack.readAudit(record.id)).json().entries).toEqual([]);
  });

  it.each([
    ["a created event has a kind the schema does not know", { type: "created", kind: "bogus-kind" }, "kind"],
    ["a tokenIssued event has no valid expiry", { type: "tokenIssued", authTokenExpiresAt: Number.NaN }, "unreadable event"],
  ])("when %s, then it is refused with a warning and nothing is stored", async (_label, event, problem) => {
    stack = await startAuditStack();
    const record = await stack.plantSession();
    stack.bus.emit(eventFor(record, stack.clock, event as { type: "created" }));
    await stack.bus.drain();
    expect(warnings(stack, "audit entry refused")).toEqual([expect.objectContaining({ sessionId: record.id, problem })]);
    expect(await stack.auditLog.list(record.id, 10)).toEqual([]);
  });

  it("when an event arrives, then the trail expires with its session record", async () => {
    stack = await startAuditStack();
    const record = await stack.plantSession();
    stack.bus.emit(eventFor(record, stack.clock, { type: "created", kind: "liveness" }));
    await stack.bus.drain();
    stack.clock.set(record.expiresAt - 1);
    expect(await stack.auditLog.list(record.id, 10)).toHaveLength(1);
    stack.clock.set(record.expiresAt);
    expect(await stack.auditLog.list(record.id, 10)).toEqual([]);
  });

  it("when an event arrives after the session record was deleted, then the trail is forgotten at once, not kept to its expiry", async () => {
    stack = await startAuditStack();
    const record = await stack.plantSession();
    stack.bus.emit(eventFor(record, stack.clock, { type: "created", kind: "liveness" }));
    await stack.bus.drain();
    await stack.store.delete(record.id);
    stack.bus.emit(eventFor(record, stack.clock, { type: "imageDeleted" }));
    await stack.bus.drain();
    expect(await stack.auditLog.list(record.id, 10)).toEqual([]);
  });

  it("when a session's events come together, then they are appended in emit order after one read of its record", async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemorySessionStore(clock);
    const auditLog = new MemoryAuditLog(clock);
    const reads: string[] = [];
    const sessions = { get: (id: string) => (reads.push(id), store.get(id)) };
    const record = { id: "s-1", kind: "liveness", clientId: "acme", enableSessionImage: false, createdAt: clock.now(), authTokenExpiresAt: clock.now() + 60_000, expiresAt: clock.now() + 120_000, lastKnownStatus: "NotStarted", lastCheckedAt: clock.now() } as const;
    await store.put({ ...record });
    const stored = (await store.get("s-1"))!;
    const listener = auditRecorder({ audit: auditLog, sessions, logger: { warn: () => undefined } });

    await Promise.all([
      listener(eventFor(stored, clock, { type: "created", kind: "liveness" })),
      listener(eventFor(stored, clock, { type: "tokenIssued", authTokenExpiresAt: record.authTokenExpiresAt })),
      listener(eventFor(stored, clock, { type: "deletedAtFace" })),
    ]);

    expect(reads).toEqual(["s-1"]);
    expect((await auditLog.list("s-1", 10)).map((e) => e.event)).toEqual(["created", "tokenIssued", "deletedAtFace"]);
  });
});

