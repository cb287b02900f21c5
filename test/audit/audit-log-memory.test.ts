/** The in-memory audit log: append-only trails per session, bounded, forgotten with their session's retention. */
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import type { AuditLog } from "../../src/audit/audit-log.js";
import { MemoryAuditLog } from "../../src/audit/audit-log-memory.js";
import type { AuditEntry } from "../../src/audit/audit-schemas.js";
import { ManualClock } from "../../src/lib/clock.js";

const clock = new ManualClock();
const HOUR = 60 * 60 * 1000;
const logs: MemoryAuditLog[] = [];
const makeLog = (max?: number) => {
  const log = new MemoryAuditLog(clock, max);
  logs.push(log);
  return log;
};
afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
});

const entry = (event: AuditEntry["event"], extra: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(clock.now()).toISOString(),
  event,
  actor: "acme",
  ...extra,
});

describe("MemoryAuditLog", () => {
  it("when entries are appended, then list answers them oldest first, per session", async () => {
    const log = makeLog();
    await log.append("s1", entry("created"), clock.now() + HOUR);
    await log.append("s2", entry("created", { actor: "globex" }), clock.now() + HOUR);
    await log.append("s1", entry("tokenIssued"), clock.now() + HOUR);
    expect((await log.list("s1", 10)).map((e) => e.event)).toEqual(["created", "tokenIssued"]);
    expect(await log.list("s2", 10)).toEqual([entry("created", { actor: "globex" })]);
    expect(await log.list("unknown", 10)).toEqual([]);
  });

  it("when list is given a bound, then it answers at most that many, from the beginning", async () => {
    const log = makeLog();
    for (let attemptId = 1; attemptId <= 5; attemptId += 1) await log.append("s", entry("attemptSeen", { attemptId }), clock.now() + HOUR);
    expect((await log.list("s", 3)).map((e) => e.attemptId)).toEqual([1, 2, 3]);
    expect(await log.list("s", 0)).toEqual([]);
  });

  it("when a trail is full, then further appends are refused and the beginning of the story is kept", async () => {
    const log = makeLog(2);
    expect(await log.append("s", entry("created"), clock.now() + HOUR)).toBe(true);
    expect(await log.append("s", entry("tokenIssued"), clock.now() + HOUR)).toBe(true);
    expect(await log.append("s", entry("attemptSeen"), clock.now() + HOUR)).toBe(false);
    expect((await log.list("s", 10)).map((e) => e.event)).toEqual(["created", "tokenIssued"]);
  });

  it("when the appender or a reader changes an entry object, then the stored entry stays as appended", async () => {
    const log = makeLog();
    const appended = entry("created");
    await log.append("s", appended, clock.now() + HOUR);
    appended.actor = "mallory";
    (await log.list("s", 10))[0]!.actor = "mallory";
    expect((await log.list("s", 10))[0]!.actor).toBe("acme");
  });

  it("when a backend implements AuditLog, then it offers append, list and whole-trail deletion only (no update or single delete)", () => {
    // Checked by the type checker: adding a mutating method to the interface fails `npm run typecheck`.
    expectTypeOf<keyof AuditLog>().toEqualTypeOf<"append" | "list" | "deleteSession" | "close">();
  });

  it("when the trail's expiry passes, then it is gone; a later append's later expiry keeps it longer, an earlier one never shortens it", async () => {
    const log = makeLog();
    const start = clock.now();
    await log.append("s", entry("created"), start + HOUR);
    await log.append("s", entry("tokenIssued"), start + 3 * HOUR);
    await log.append("s", entry("deletedAtFace"), start + 2 * HOUR);
    clock.set(start + 2.5 * HOUR);
    expect(await log.list("s", 10)).toHaveLength(3);
    clock.set(start + 3 * HOUR);
    expect(await log.list("s", 10)).toEqual([]);
  });

  it("when the sweep runs, then it removes expired trails only", async () => {
    const log = makeLog();
    await log.append("old", entry("created"), clock.now() + HOUR);
    await log.append("new", entry("created"), clock.now() + 5 * HOUR);
    clock.advance(2 * HOUR);
    expect(log.sweep()).toBe(1);
    expect(await log.list("new", 10)).toHaveLength(1);
  });

  it("when a session's trail is deleted, then it is gone and a second delete reports nothing to delete", async () => {
    const log = makeLog();
    await log.append("s", entry("created"), clock.now() + HOUR);
    expect(await log.deleteSession("s")).toBe(true);
    expect(await log.list("s", 10)).toEqual([]);
    expect(await log.deleteSession("s")).toBe(false);
  });
});
