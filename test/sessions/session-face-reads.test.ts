/**
 * What reading an outcome costs Face, counted at the emulator: a /complete after the device finished reads once; a
 * long-poll and a /complete on one session do not both read; callers waiting together, and coming straight back
 * after each answer, share one read per poll interval; a caller's read counts as the long-poll loop's own. Gaps are
 * measured between the emulator's own arrival times, so they bound how many reads one interval holds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorRequest } from "../../src/emulator/emulator-state.js";
import { LONG_POLL_INTERVALS } from "../../src/sessions/session-poll-hub.js";
import { complete, create, device, eventually, faceRequestsFor, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

let stack: OutcomeStack;
beforeAll(async () => {
  stack = await startOutcomeStack();
});
afterAll(async () => stack.close());

const reads = (id: string) => faceRequestsFor(stack, id).filter((r) => r.operation === "getLivenessSession");
/** The device's last call: device calls name no session, and this file plays one device at a time. */
const lastDeviceCall = () => stack.emulator.state.requestLog().filter((r) => r.operation === "deviceDetectLiveness").at(-1)!;
const gaps = (seen: readonly EmulatorRequest[]) => seen.slice(1).map((r, i) => r.at - seen[i]!.at);
// Timers may fire a few milliseconds early; a second reader would show gaps near 0.
const MIN_GAP = LONG_POLL_INTERVALS.activeMs - 20;

/** Long-polls with the last ETag until the decision settles, as an app following a session does. */
async function follow(id: string, client: "acme" | "globex" = "globex"): Promise<string> {
  let etag: string | undefined;
  for (;;) {
    const res = await read(stack, id, "?waitSeconds=20", client, etag ? { "if-none-match": etag } : {});
    if (res.statusCode === 304) continue;
    expect(res.statusCode).toBe(200);
    etag = res.headers.etag as string;
    if (res.json().decision.decidedAt !== null) return res.json().decision.outcome as string;
  }
}

describe("Face reads per session", () => {
  it("when /complete comes after the device finished, then the session costs Face its create, one read and its deletion", async () => {
    const session = await create(stack);
    const digest = await device(stack, session, { livenessDecision: "realface" });
    const res = await complete(stack, session.id, digest!);
    expect(res.json().decision.outcome).toBe("approved");
    await eventually(() => expect(faceRequestsFor(stack, session.id).map((r) => r.operation)).toEqual(["createLivenessSession", "getLivenessSession", "deleteLivenessSession"]));
  });

  it("when a caller long-polls and the app completes as the device finishes, then Face is read once after the device, not by both", async () => {
    const session = await create(stack);
    const waiting = read(stack, session.id, "?waitSeconds=20");
    await eventually(() => expect(reads(session.id).length).toBeGreaterThanOrEqual(1));
    const digest = await device(stack, session, { livenessDecision: "realface" });
    const completed = await complete(stack, session.id, digest!);
    expect(completed.json().decision.outcome).toBe("approved");
    expect((await waiting).statusCode).toBe(200);
    const afterDevice = reads(session.id).filter((r) => r.seq > lastDeviceCall().seq);
    expect(afterDevice).toHaveLength(1);
  });

  it("when the long-poll heard of the attempt first, then the caller's /complete settles it without reading Face", async () => {
    const session = await create(stack);
    const waiting = read(stack, session.id, "?waitSeconds=20");
    const digest = await device(stack, session, { livenessDecision: "realface" });
    expect((await waiting).json().decision.reasons.map((r: { code: string }) => r.code)).toContain("AWAITING_CLIENT_DIGEST");
    const before = reads(session.id).length;
    expect((await complete(stack, session.id, digest!)).json().decision.outcome).toBe("approved");
    expect(reads(session.id)).toHaveLength(before);
  });

  it("when five callers follow one session and come straight back after each answer, then Face sees at most one read per interval", async () => {
    const session = await create(stack, {}, "globex");
    const followers = Promise.all(Array.from({ length: 5 }, () => follow(session.id)));
    await eventually(() => expect(reads(session.id).length).toBeGreaterThanOrEqual(2));
    await device(stack, session, { start: true });
    const running = reads(session.id).length;
    await eventually(() => expect(reads(session.id).length).toBeGreaterThanOrEqual(running + 2));
    await device(stack, session, { livenessDecision: "spoofface" });
    expect(await followers).toEqual(Array(5).fill("declined"));
    const seen = reads(session.id);
    expect(Math.min(...gaps(seen)), JSON.stringify(gaps(seen))).toBeGreaterThanOrEqual(MIN_GAP);
  });

  it("when a caller's GET reads Face while a long-poll waits, then the loop's next read comes a full interval after it", async () => {
    const session = await create(stack, {}, "globex");
    await device(stack, session, { start: true });
    // Read once, so the long-poll's view is already "running" and only the attempt ends it.
    await read(stack, session.id, "", "globex");
    const waiting = read(stack, session.id, "?waitSeconds=6", "globex");
    const before = reads(session.id).length;
    await eventually(() => expect(reads(session.id).length).toBeGreaterThan(before));
    await read(stack, session.id, "", "globex");
    const callers = reads(session.id).at(-1)!;
    await eventually(() => expect(reads(session.id).at(-1)!.seq).toBeGreaterThan(callers.seq));
    const next = reads(session.id).find((r) => r.seq > callers.seq)!;
    expect(next.at - callers.at).toBeGreaterThanOrEqual(MIN_GAP);
    await device(stack, session, { livenessDecision: "spoofface" });
    expect((await waiting).json().decision.outcome).toBe("declined");
  });
});
