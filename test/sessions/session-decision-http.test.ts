/**
 * Every decision outcome through the real stack, the device played by the emulator: the integrity gate (client
 * digest, verify image hash), settled decisions that never change, scores only for clients that ask, and the
 * session events behind it all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, complete, device, eventsOf, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

let stack: OutcomeStack;
beforeAll(async () => {
  stack = await startOutcomeStack({ DELETE_AFTER_DECISION: "false" });
});
afterAll(async () => stack.close());

const codes = (view: { decision: { reasons: Array<{ code: string }> } }) => view.decision.reasons.map((r) => r.code);

describe("the decision on GET /v1/sessions/{id}", () => {
  it("when nothing happened yet, then pending with NO_ATTEMPT and no decidedAt", async () => {
    const session = await create(stack);
    const view = (await read(stack, session.id)).json();
    expect(view.decision).toEqual({ outcome: "pending", reasons: [{ code: "NO_ATTEMPT" }], decidedAt: null });
  });

  it("when the device shows a real face, then pending AWAITING_CLIENT_DIGEST until the app passes the digest; then approved", async () => {
    const session = await create(stack);
    const digest = await device(stack, session, { livenessDecision: "realface" });
    const pending = (await read(stack, session.id)).json();
    expect(pending.decision).toMatchObject({ outcome: "pending", reasons: [{ code: "AWAITING_CLIENT_DIGEST" }], decidedAt: null });
    expect(eventsOf(stack, session.id, "decided")).toEqual([]);

    const res = await complete(stack, session.id, digest!.toLowerCase());
    expect(res.statusCode).toBe(200);
    expect(res.json().decision).toMatchObject({ outcome: "approved", reasons: [{ code: "REAL_FACE" }, { code: "DIGEST_MATCH" }] });
    expect(Date.parse(res.json().decision.decidedAt)).toBe(stack.clock.now());
    expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ decision: { outcome: "approved" }, digestCheck: "match", actor: "acme" }]);
  });

  it("when the digest comes as a query parameter, then it counts the same, and it is not written to the request log", async () => {
    const session = await create(stack);
    const digest = await device(stack, session, { livenessDecision: "realface" });
    const view = (await read(stack, session.id, `?clientDigest=${digest}`)).json();
    expect(view.decision.outcome).toBe("approved");
    expect(stack.logs.text).not.toContain(digest!.slice(8));
  });

  it("when the client digest differs, then declined DIGEST_MISMATCH and a warn-level security event without the digests", async () => {
    const session = await create(stack, { subject: "user-digest" });
    const digest = await device(stack, session, { livenessDecision: "realface" });
    const forged = "0123456789ABCDEF".repeat(4);
    const view = (await complete(stack, session.id, forged)).json();
    expect(view.decision).toMatchObject({ outcome: "declined", reasons: [{ code: "DIGEST_MISMATCH" }] });
    const line = stack.logs.records().find((r) => r.securityEvent === "digest_mismatch" && r.sessionId === session.id);
    expect(line).toMatchObject({ level: 40, clientId: "acme", attemptId: 1, clientDigestPrefix: forged.slice(0, 8), faceDigestPrefix: digest!.slice(0, 8) });
    expect(stack.logs.text).not.toContain(forged);
    expect(stack.logs.text).not.toContain(digest!);
    expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ digestCheck: "mismatch" }]);
  });

  it("when the device shows a spoof, then declined at once, without waiting for a digest", async () => {
    const session = await create(stack);
    await device(stack, session, { livenessDecision: "spoofface" });
    expect((await read(stack, session.id)).json().decision).toMatchObject({ outcome: "declined", reasons: [{ code: "SPOOF_DETECTED" }] });
  });

  it("when the attempt fails with a mask, then retry, with Face's code and advice for the user", async () => {
    const session = await create(stack);
    await device(stack, session, { errorCode: "FaceWithMaskDetected" });
    const { decision } = (await read(stack, session.id)).json();
    expect(decision.outcome).toBe("retry");
    expect(decision.reasons[0]).toMatchObject({ code: "FACE_WITH_MASK_DETECTED", faceCode: "FaceWithMaskDetected" });
    expect(decision.reasons[0].advice).toMatch(/mask/i);
  });

  it("when the result is uncertain, then retry with advice; uncertain after two failed attempts, then review", async () => {
    const first = await create(stack);
    await device(stack, first, { livenessDecision: "uncertain" });
    expect((await read(stack, first.id)).json().decision).toMatchObject({ outcome: "retry", reasons: [{ code: "UNCERTAIN", advice: expect.any(String) }] });

    const last = await create(stack);
    await device(stack, last, { errorCode: "TimedOut" });
    await device(stack, last, { errorCode: "ExcessiveImageBlurDetected" });
    await device(stack, last, { livenessDecision: "uncertain" });
    const view = (await read(stack, last.id)).json();
    expect(view.decision.outcome).toBe("review");
    expect(codes(view)).toEqual(["UNCERTAIN", "ATTEMPTS_EXHAUSTED"]);
  });

  it("when the client does not require a digest, then a real face is approved with DIGEST_NOT_CHECKED", async () => {
    const session = await create(stack, {}, "globex");
    await device(stack, session, { livenessDecision: "realface" });
    const view = (await read(stack, session.id, "", "globex")).json();
    expect(view.decision.outcome).toBe("approved");
    expect(codes(view)).toEqual(["REAL_FACE", "DIGEST_NOT_CHECKED"]);
  });
});

describe("a settled decision never changes", () => {
  it("when /complete comes again with the same digest, then the same view; with another, 409 LSO_ERR_SESSION_SETTLED", async () => {
    const session = await create(stack);
    const digest = (await device(stack, session, { livenessDecision: "realface" }))!;
    const first = (await complete(stack, session.id, digest)).json();
    const again = await complete(stack, session.id, digest.toLowerCase());
    expect(again.statusCode).toBe(200);
    expect(again.json().decision).toEqual(first.decision);
    const other = await complete(stack, session.id, "ABCDEF0123456789".repeat(4));
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe("LSO_ERR_SESSION_SETTLED");
    expect((await read(stack, session.id)).json().decision).toEqual(first.decision);
    expect(eventsOf(stack, session.id, "decided")).toHaveLength(1);
  });

  it("when a declined session later gets the right digest, then it stays declined (409)", async () => {
    const session = await create(stack);
    const digest = (await device(stack, session, { livenessDecision: "spoofface" }))!;
    expect((await read(stack, session.id)).json().decision.outcome).toBe("declined");
    expect((await complete(stack, session.id, digest)).statusCode).toBe(409);
  });

  it("when settled, then GET answers from the snapshot without asking Face", async () => {
    const session = await create(stack);
    await device(stack, session, { livenessDecision: "spoofface" });
    await read(stack, session.id);
    const before = stack.emulator.state.requestCount("getLivenessSession");
    expect((await read(stack, session.id)).json().decision.outcome).toBe("declined");
    expect(stack.emulator.state.requestCount("getLivenessSession")).toBe(before);
  });

  it("when /complete names another client's session, or has a malformed digest, then 404 and 400", async () => {
    const session = await create(stack);
    expect((await complete(stack, session.id, "AB".repeat(32), "globex")).statusCode).toBe(404);
    const bad = await complete(stack, session.id, "not-hex");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0].path).toBe("body.clientDigest");
  });
});

describe("liveness with verify", () => {
  it("when Face was asked, then for the verify image hash; the match is approved once the digest matches", async () => {
    const session = await create(stack, { kind: "livenessWithVerify" });
    expect(stack.emulator.state.findSession(session.id, "livenessWithVerify", Date.now())?.verify?.returnVerifyImageHash).toBe(true);
    const digest = (await device(stack, session, { livenessDecision: "realface", matchConfidence: 0.9 }))!;
    const view = (await complete(stack, session.id, digest)).json();
    expect(codes(view)).toEqual(["REAL_FACE", "VERIFY_MATCH", "DIGEST_MATCH"]);
    expect(view.verifyResult).toEqual({ isIdentical: true });
  });

  it("when the faces differ, then declined VERIFY_NO_MATCH without a digest", async () => {
    const session = await create(stack, { kind: "livenessWithVerify" });
    await device(stack, session, { livenessDecision: "realface", matchConfidence: 0.2 });
    expect(codes((await read(stack, session.id)).json())).toEqual(["REAL_FACE", "VERIFY_NO_MATCH"]);
  });

  it("when the client's policy exposes scores, then matchConfidence is shown; for others it is not", async () => {
    const shown = await create(stack, { kind: "livenessWithVerify" }, "globex");
    await device(stack, shown, { livenessDecision: "realface", matchConfidence: 0.77 });
    const view = (await read(stack, shown.id, "", "globex")).json();
    expect(view.verifyResult).toEqual({ matchConfidence: 0.77, isIdentical: true });
    expect(view.attempts[0].verifyResult).toEqual({ matchConfidence: 0.77, isIdentical: true });

    const hidden = await create(stack, { kind: "livenessWithVerify" });
    await device(stack, hidden, { livenessDecision: "realface", matchConfidence: 0.77 });
    const res = await read(stack, hidden.id);
    expect(res.body).not.toContain("matchConfidence");
    expect(res.body).not.toContain("0.77");
  });

  it("when our record holds another image's hash than the one Face verified, then declined VERIFY_IMAGE_HASH_MISMATCH and a security event", async () => {
    const session = await create(stack, { kind: "livenessWithVerify" });
    // Simulated honestly at our side: the record says we sent another image than the one Face reports.
    const record = (await stack.store.get(session.id))!;
    await stack.store.put({ ...record, verifyImageSha256: "ab".repeat(32) });
    const digest = (await device(stack, session, { livenessDecision: "realface", matchConfidence: 0.95 }))!;
    const view = (await complete(stack, session.id, digest)).json();
    expect(view.decision).toMatchObject({ outcome: "declined", reasons: [{ code: "VERIFY_IMAGE_HASH_MISMATCH" }] });
    expect(stack.logs.records().find((r) => r.securityEvent === "verify_image_hash_mismatch" && r.sessionId === session.id)).toMatchObject({ level: 40 });
    expect(eventsOf(stack, session.id, "decided")).toMatchObject([{ digestCheck: "verifyImageHashMismatch" }]);
  });

  it("when Face reports the hash of an image other than ours, then declined VERIFY_IMAGE_HASH_MISMATCH", async () => {
    const session = await create(stack, { kind: "livenessWithVerify" });
    // Face's side: the emulator verifies against (and reports the hash of) a different reference image.
    stack.emulator.state.findSession(session.id, "livenessWithVerify", Date.now())!.verify!.imageHash = "CD".repeat(32);
    const digest = (await device(stack, session, { livenessDecision: "realface" }))!;
    expect(codes((await complete(stack, session.id, digest)).json())).toEqual(["VERIFY_IMAGE_HASH_MISMATCH"]);
  });
});

describe("session events", () => {
  it("when a session is created, attempted twice and decided, then created, tokenIssued, one attemptSeen per attempt and one decided", async () => {
    const session = await create(stack, { subject: "user-events" });
    await device(stack, session, { errorCode: "FaceWithMaskDetected" });
    await read(stack, session.id);
    await read(stack, session.id);
    await device(stack, session, { livenessDecision: "spoofface" });
    await read(stack, session.id);
    await read(stack, session.id);
    const events = eventsOf(stack, session.id);
    expect(events.map((e) => e.type)).toEqual(["created", "tokenIssued", "attemptSeen", "attemptSeen", "decided"]);
    expect(events[0]).toMatchObject({ kind: "liveness", subject: "user-events", actor: "acme", faceRequestId: expect.any(String) });
    expect(events.filter((e) => e.type === "attemptSeen").map((e) => "attemptId" in e && e.attemptId)).toEqual([1, 2]);
    expect(events[4]).toMatchObject({ modelVersion: expect.any(String), faceRequestId: expect.any(String) });
    expect(JSON.stringify(events)).not.toContain(session.authToken);
  });
});
