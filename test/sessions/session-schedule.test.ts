/**
 * When background work is next due for a session: the watcher's reads (sessions with a callbackUrl only) and their
 * backoff, the lapse, and nothing more.
 */
import { describe, expect, it } from "vitest";
import { DELETION_PICKUP_MS, SessionSchedule } from "../../src/sessions/session-schedule.js";
import type { SessionRecord } from "../../src/state/session-store.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const LAPSE = T0 + 600_000;

const record = (extra: Partial<SessionRecord> = {}): SessionRecord => ({
  id: "00000000-0000-4000-8000-000000000001",
  kind: "liveness",
  clientId: "acme",
  enableSessionImage: false,
  createdAt: T0,
  authTokenExpiresAt: LAPSE,
  expiresAt: LAPSE + 86_400_000,
  lastKnownStatus: "NotStarted",
  lastCheckedAt: T0,
  snapshot: { status: "NotStarted", attempts: [] },
  callbackUrl: "https://hooks.example/in",
  ...extra,
});

/** A session nobody registered a webhook for: its caller asks, the server need not. */
const { callbackUrl: _none, ...withoutCallback } = record();

const decided = (outcome: "approved" | "expired") => ({ decision: { outcome, reasons: [], decidedAt: null }, digestCheck: "notChecked" as const });

const watching = new SessionSchedule({ watchIntervalMs: 5000, firstPollMs: 15_000, retryMs: 60_000, deleteAfterDecision: true });
const notWatching = new SessionSchedule({ watchIntervalMs: 0, firstPollMs: 15_000, retryMs: 60_000, deleteAfterDecision: false });

describe("SessionSchedule", () => {
  it("when a session with a callbackUrl is created, then the watcher's first read waits for the device; with watching off, its lapse is first", () => {
    expect(watching.firstDueAt(record())).toBe(T0 + 15_000);
    expect(notWatching.firstDueAt(record())).toBe(LAPSE);
    expect(watching.firstDueAt(record({ authTokenExpiresAt: T0 + 1000 }))).toBe(T0 + 1000);
  });

  it("when a session has no callbackUrl, then nothing is due before its lapse: its caller reads it", () => {
    expect(watching.watched(withoutCallback, T0)).toBe(false);
    expect(watching.firstDueAt(withoutCallback)).toBe(LAPSE);
    expect(watching.dueAt(withoutCallback, T0 + 20_000)).toBe(LAPSE);
  });

  it("when reads find nothing new, then the interval doubles up to a quarter of the token's lifetime; a change brings it back to the base", () => {
    const intervalsOf = (r: SessionRecord, reads: number) => {
      const intervals: number[] = [];
      for (let i = 0; i < reads; i += 1) {
        r = { ...r, watchIntervalMs: watching.nextInterval(r, false) };
        intervals.push(r.watchIntervalMs!);
      }
      return intervals;
    };
    expect(intervalsOf(record(), 6)).toEqual([10_000, 20_000, 40_000, 80_000, 150_000, 150_000]);
    const day = 86_400_000;
    expect(intervalsOf(record({ authTokenExpiresAt: T0 + day }), 14).at(-1)).toBe(day / 4);
    expect(intervalsOf(record({ authTokenExpiresAt: T0 + 60_000 }), 3)).toEqual([10_000, 15_000, 15_000]);
    expect(watching.nextInterval(record({ watchIntervalMs: 80_000 }), true)).toBe(5000);
  });

  it("when a caller reads a watched session, then the watcher's next read moves on unless it is a full interval away already", () => {
    expect(watching.callerReadMovesWatch(record({ dueAt: T0 + 20_000 }), T0 + 19_000)).toBe(true);
    expect(watching.callerReadMovesWatch(record({ dueAt: T0 + 20_000 }), T0 + 15_001)).toBe(true);
    expect(watching.callerReadMovesWatch(record({ dueAt: T0 + 20_000 }), T0 + 15_000)).toBe(false);
    expect(watching.callerReadMovesWatch({ ...withoutCallback, dueAt: T0 + 20_000 }, T0 + 19_000)).toBe(false);
  });

  it("when an open session is watched, then it is due one interval from now, never past its lapse", () => {
    expect(watching.dueAt(record({ watchIntervalMs: 20_000 }), T0 + 100_000)).toBe(T0 + 120_000);
    expect(watching.dueAt(record({ watchIntervalMs: 40_000 }), LAPSE - 10_000)).toBe(LAPSE);
  });

  it("when Face can change nothing more, or watching is off, then an open session is due at its lapse, and retried after it", () => {
    const final = record({ snapshot: { status: "Succeeded", attempts: [] } });
    expect(watching.dueAt(final, T0 + 1000)).toBe(LAPSE);
    expect(notWatching.dueAt(record(), T0 + 1000)).toBe(LAPSE);
    expect(notWatching.dueAt(record(), LAPSE + 5)).toBe(LAPSE + 5 + 60_000);
  });

  it("when a session is settled, then it is due at its lapse only if it is to be deleted at Face then", () => {
    expect(watching.dueAt(record(decided("approved")), T0)).toBe(LAPSE);
    expect(notWatching.dueAt(record(decided("approved")), T0)).toBeNull();
    expect(notWatching.dueAt(record(decided("expired")), T0)).toBe(LAPSE);
  });

  it("when the caller has the decision (read or delivered), then its deletion at Face is due DELETION_PICKUP_MS from now, for another replica if this one dies", () => {
    const read = record({ ...decided("approved"), decisionReadAt: T0 });
    expect(watching.deletionOwed(read)).toBe(true);
    expect(watching.dueAt(read, T0)).toBe(T0 + DELETION_PICKUP_MS);
    expect(watching.dueAt(record({ ...decided("approved"), webhookDeliveredAt: T0 }), T0)).toBe(T0 + DELETION_PICKUP_MS);
    // Without DELETE_AFTER_DECISION, or once it is done, nothing is owed.
    expect(notWatching.deletionOwed(read)).toBe(false);
    expect(notWatching.dueAt(read, T0)).toBeNull();
    expect(watching.deletionOwed({ ...read, deletedAtFaceAt: T0 })).toBe(false);
  });

  it("when a session is deleted at Face, then nothing more is due; a failed deletion keeps its retry time", () => {
    expect(watching.dueAt(record({ ...decided("approved"), deletedAtFaceAt: T0 }), T0)).toBeNull();
    expect(watching.dueAt(record({ ...decided("approved"), faceDeletionDue: true, dueAt: T0 + 60_000 }), T0)).toBe(T0 + 60_000);
  });
});
