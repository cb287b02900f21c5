import { describe, expect, it } from "vitest";

import { ExpiryHeap } from "../../src/emulator/emulator-expiry-heap.js";
import { EmulatorState, type EmulatorSession } from "../../src/emulator/emulator-state.js";

function session(sessionId: string, expiresAt: number): EmulatorSession {
  return {
    sessionId,
    kind: "liveness",
    authToken: `token-${sessionId}`,
    status: "NotStarted",
    modelVersion: "m",
    livenessOperationMode: "PassiveActive",
    enableSessionImage: false,
    createdAt: 0,
    expiresAt,
    attempts: [],
  };
}

describe("emulator expiry index", () => {
  it("when entries are pushed in any order, then they pop earliest first and only once expired", () => {
    const heap = new ExpiryHeap();
    for (const t of [50, 10, 40, 30, 20, 60]) heap.push({ expiresAt: t, sessionId: `s${t}` });
    const popped: number[] = [];
    for (let e = heap.popExpired(45); e; e = heap.popExpired(45)) popped.push(e.expiresAt);
    expect(popped).toEqual([10, 20, 30, 40]);
    expect(heap.size).toBe(2);
  });

  it("when some sessions have expired, then purgeExpired drops exactly those with their tokens and images", () => {
    const state = new EmulatorState();
    state.addSession(session("a", 100));
    state.addSession(session("b", 300));
    state.addSession(session("c", 200));
    state.addSessionImage("img-a", { sessionId: "a", bytes: Buffer.from("x") });
    state.addSessionImage("img-b", { sessionId: "b", bytes: Buffer.from("y") });
    state.purgeExpired(250);
    expect(state.sessionCount).toBe(1);
    expect(state.sessionImageCount).toBe(1);
    expect(state.findSessionByToken("token-b", 250)?.sessionId).toBe("b");
    expect(state.findSessionByToken("token-a", 0)).toBeUndefined();
  });

  it("when a session was deleted before it expired, then its stale index entry is skipped", () => {
    const state = new EmulatorState();
    state.addSession(session("a", 100));
    state.deleteSession("a");
    state.addSession(session("a", 500)); // the same id again, living longer
    state.purgeExpired(200);
    expect(state.findSession("a", "liveness", 200)?.expiresAt).toBe(500);
  });
});

describe("emulator request log bound", () => {
  it("when more requests arrive than the log keeps, then it lists the newest 10 000, oldest first, and the counts keep every one", () => {
    const state = new EmulatorState();
    for (let i = 0; i < 25_001; i++) state.recordRequest("getLivenessSession", { at: i, requestId: `r${i}`, sessionId: `s${i}` });
    const log = state.requestLog();
    expect(log).toHaveLength(10_000);
    expect(log[0]?.requestId).toBe("r15001");
    expect(log.at(-1)?.requestId).toBe("r25000");
    expect(state.requestCount("getLivenessSession")).toBe(25_001);
  });
});
