/**
 * The attempt budget (issue 5 §5) through the real stack, on a ManualClock: 5 declined or spoof outcomes within
 * 3 minutes lock a (client, subject) or (client, device) out of new sessions for 30 minutes, without calling Face.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";
import { failTimes, faceCreates, playOutcome, readSession, tryCreate, unique } from "./lockout-kit.js";

const clock = new ManualClock(Date.now());
let stack: TestStack;
beforeAll(async () => {
  // A high quota: each played outcome costs two Face calls, and pacing them at S0's 10 per second only slows the test.
  stack = await startStack({ FACE_MAX_TPS: "1000" }, { clock });
});
afterAll(async () => stack.close());

const SECOND = 1000;

async function expectLockedOut(target: { subject?: string; deviceCorrelationId?: string }, client: "acme" | "globex" = "acme") {
  const before = faceCreates(stack);
  const res = await tryCreate(stack, target, client);
  expect(res.statusCode).toBe(429);
  expect(res.json().error.code).toBe("LSO_ERR_LOCKED_OUT");
  expect(faceCreates(stack)).toBe(before);
  return res;
}

describe("lockout by subject", () => {
  it("when 4 failures are observed, then a new session is still created; at the 5th, it is refused 429 with Retry-After 1800, Face not called", async () => {
    const subject = unique("subject");
    await failTimes(stack, 4, { subject });
    expect((await tryCreate(stack, { subject })).statusCode).toBe(201);
    await playOutcome(stack, { subject });
    const res = await expectLockedOut({ subject });
    expect(res.headers["retry-after"]).toBe("1800");
  });

  it("when the failures are spread beyond the 3-minute window, then the old ones no longer count", async () => {
    const subject = unique("subject");
    await playOutcome(stack, { subject });
    clock.advance(60 * SECOND);
    await failTimes(stack, 3, { subject });
    clock.advance(121 * SECOND); // the first failure is now 181 s old
    await playOutcome(stack, { subject });
    expect((await tryCreate(stack, { subject })).statusCode).toBe(201);
    await playOutcome(stack, { subject });
    await expectLockedOut({ subject });
  });

  it("when the cool-down passes, then new sessions are accepted again, with Retry-After counting down until then", async () => {
    const subject = unique("subject");
    await failTimes(stack, 5, { subject });
    clock.advance(1799 * SECOND + 500);
    expect((await expectLockedOut({ subject })).headers["retry-after"]).toBe("1");
    clock.advance(500);
    expect((await tryCreate(stack, { subject })).statusCode).toBe(201);
  });

  it("when a subject is locked, then another client's same subject and the subject's devices are not", async () => {
    const subject = unique("subject");
    const device = unique("device");
    await failTimes(stack, 5, { subject, deviceCorrelationId: device });
    await expectLockedOut({ subject });
    expect((await tryCreate(stack, { subject }, "globex")).statusCode).toBe(201);
    // The device failed 5 times too (same sessions), so it is locked as well; a fresh device with another subject is not.
    await expectLockedOut({ deviceCorrelationId: device });
    expect((await tryCreate(stack, { subject: unique("subject"), deviceCorrelationId: unique("device") })).statusCode).toBe(201);
  });
});

describe("lockout and Idempotency-Key", () => {
  it("when a create is retried with its Idempotency-Key after the subject was locked, then the original 201 is replayed", async () => {
    const subject = unique("subject");
    const send = () =>
      stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "idempotency-key": `k-${subject}` }, payload: { kind: "liveness", subject } });
    const first = await send();
    await failTimes(stack, 5, { subject });
    const retry = await send();
    expect(retry.statusCode).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.json().id).toBe(first.json().id);
  });
});

describe("lockout by device", () => {
  it("when one device fails 5 times for different subjects, then the device is locked and those subjects are not", async () => {
    const device = unique("device");
    const subjects = [1, 2, 3, 4, 5].map(() => unique("subject"));
    for (const subject of subjects) await playOutcome(stack, { subject, deviceCorrelationId: device });
    await expectLockedOut({ deviceCorrelationId: device });
    await expectLockedOut({ subject: subjects[0]!, deviceCorrelationId: device });
    expect((await tryCreate(stack, { subject: subjects[0]!, deviceCorrelationId: unique("device") })).statusCode).toBe(201);
  });

  it("when one subject fails on 5 different devices, then the subject is locked and those devices are not", async () => {
    const subject = unique("subject");
    const devices = [1, 2, 3, 4, 5].map(() => unique("device"));
    for (const deviceCorrelationId of devices) await playOutcome(stack, { subject, deviceCorrelationId });
    await expectLockedOut({ subject });
    expect((await tryCreate(stack, { deviceCorrelationId: devices[0]! })).statusCode).toBe(201);
  });

  it("when another client's device of the same id is locked, then this client's is not", async () => {
    const device = unique("device");
    await failTimes(stack, 5, { deviceCorrelationId: device }, "globex");
    await expectLockedOut({ deviceCorrelationId: device }, "globex");
    expect((await tryCreate(stack, { deviceCorrelationId: device }, "acme")).statusCode).toBe(201);
  });
});

describe("what counts as a failure", () => {
  it("when a verify result says the faces differ, then it counts", async () => {
    const subject = unique("subject");
    for (let i = 0; i < 5; i += 1) await playOutcome(stack, { subject }, "mismatch");
    await expectLockedOut({ subject });
  });

  it("when outcomes are real faces or failed attempts (no decision), then they do not count", async () => {
    const subject = unique("subject");
    for (let i = 0; i < 3; i += 1) await playOutcome(stack, { subject }, "real");
    for (let i = 0; i < 3; i += 1) await playOutcome(stack, { subject }, "error");
    await failTimes(stack, 4, { subject });
    expect((await tryCreate(stack, { subject })).statusCode).toBe(201);
  });

  it("when one spoofed session is read many times, then it counts once", async () => {
    const subject = unique("subject");
    const id = await playOutcome(stack, { subject });
    await Promise.all(Array.from({ length: 10 }, () => readSession(stack, id)));
    await failTimes(stack, 3, { subject });
    expect((await tryCreate(stack, { subject })).statusCode).toBe(201);
    await playOutcome(stack, { subject });
    await expectLockedOut({ subject });
  });

  it("when a session has neither subject nor device, then its failure locks nothing", async () => {
    await failTimes(stack, 5, {});
    expect((await tryCreate(stack, {})).statusCode).toBe(201);
  });
});
