/** The AuditLog contract, for every backend: append-only trails per session, capped, forgotten with their session. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { MAX_AUDIT_ENTRIES_PER_SESSION, type AuditEntry, type AuditLog } from "../../src/state/audit-log.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

const HOUR = 60 * 60 * 1000;

describe.each(backends)("AuditLog ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const log = () => ctx.state.audit;

  const entry = (event: AuditEntry["event"], extra: Partial<AuditEntry> = {}): AuditEntry => ({
    at: new Date(ctx.clock.now()).toISOString(),
    event,
    actor: "acme",
    ...extra,
  });

  it("when entries are appended, then list answers them oldest first, per session", async () => {
    await log().append("s1", entry("created"), ctx.clock.now() + HOUR);
    await log().append("s2", entry("created", { actor: "globex" }), ctx.clock.now() + HOUR);
    await log().append("s1", entry("tokenIssued"), ctx.clock.now() + HOUR);
    expect((await log().list("s1", 10)).map((e) => e.event)).toEqual(["created", "tokenIssued"]);
    expect(await log().list("s2", 10)).toEqual([entry("created", { actor: "globex" })]);
    expect(await log().list("unknown", 10)).toEqual([]);
  });

  it("when list is given a bound, then it answers at most that many, from the beginning", async () => {
    for (let attemptId = 1; attemptId <= 5; attemptId += 1) await log().append("s", entry("attemptSeen", { attemptId }), ctx.clock.now() + HOUR);
    expect((await log().list("s", 3)).map((e) => e.attemptId)).toEqual([1, 2, 3]);
    expect(await log().list("s", 0)).toEqual([]);
  });

  it("when a trail is full, then further appends are refused and the beginning of the story is kept", async () => {
    for (let attemptId = 1; attemptId <= MAX_AUDIT_ENTRIES_PER_SESSION; attemptId += 1) {
      expect(await log().append("s", entry("attemptSeen", { attemptId }), ctx.clock.now() + HOUR)).toBe(true);
    }
    expect(await log().append("s", entry("decided"), ctx.clock.now() + HOUR)).toBe(false);
    const trail = await log().list("s", MAX_AUDIT_ENTRIES_PER_SESSION + 1);
    expect(trail).toHaveLength(MAX_AUDIT_ENTRIES_PER_SESSION);
    expect(trail[0]?.attemptId).toBe(1);
  });

  it("when entries are appended as one batch, then they land in order after the earlier ones, and past the cap only the first are kept", async () => {
    await log().append("s", entry("created"), ctx.clock.now() + HOUR);
    expect(await log().appendMany("s", [entry("tokenIssued"), entry("attemptSeen", { attemptId: 1 })], ctx.clock.now() + HOUR)).toBe(2);
    expect((await log().list("s", 10)).map((e) => e.event)).toEqual(["created", "tokenIssued", "attemptSeen"]);

    const room = MAX_AUDIT_ENTRIES_PER_SESSION - 3;
    const batch = Array.from({ length: room + 2 }, (_, i) => entry("attemptSeen", { attemptId: i + 2 }));
    expect(await log().appendMany("s", batch, ctx.clock.now() + HOUR)).toBe(room);
    const trail = await log().list("s", MAX_AUDIT_ENTRIES_PER_SESSION + 1);
    expect(trail).toHaveLength(MAX_AUDIT_ENTRIES_PER_SESSION);
    expect(trail.at(-1)?.attemptId).toBe(room + 1);
    expect(await log().appendMany("s", [entry("decided")], ctx.clock.now() + HOUR)).toBe(0);
  });

  it("when the appender or a reader changes an entry object, then the stored entry stays as appended", async () => {
    const appended = entry("created");
    await log().append("s", appended, ctx.clock.now() + HOUR);
    appended.actor = "mallory";
    (await log().list("s", 10))[0]!.actor = "mallory";
    expect((await log().list("s", 10))[0]!.actor).toBe("acme");
  });

  it("when a backend implements AuditLog, then it offers appends, list and whole-trail deletion only (no update or single delete)", () => {
    // Checked by the type checker: adding a mutating method to the interface fails `npm run typecheck`.
    expectTypeOf<keyof AuditLog>().toEqualTypeOf<"append" | "appendMany" | "list" | "deleteSession">();
  });

  it("when the trail's expiry passes, then it is gone; a later append's later expiry keeps it longer, an earlier one never shortens it", async () => {
    const start = ctx.clock.now();
    await log().append("s", entry("created"), start + HOUR);
    await log().append("s", entry("tokenIssued"), start + 3 * HOUR);
    await log().append("s", entry("deletedAtFace"), start + 2 * HOUR);
    ctx.clock.set(start + 2.5 * HOUR);
    expect(await log().list("s", 10)).toHaveLength(3);
    ctx.clock.set(start + 3 * HOUR);
    expect(await log().list("s", 10)).toEqual([]);
  });

  it("when a session's trail is deleted, then it is gone and a second delete reports nothing to delete", async () => {
    await log().append("s", entry("created"), ctx.clock.now() + HOUR);
    expect(await log().deleteSession("s")).toBe(true);
    expect(await log().list("s", 10)).toEqual([]);
    expect(await log().deleteSession("s")).toBe(false);
  });
});
