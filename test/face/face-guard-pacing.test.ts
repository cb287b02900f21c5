import { describe, expect, it } from "vitest";

import { createGuardedFaceGateway } from "../../src/face/face-guard.js";
import { faceGuardDefaults, type FaceGuardOptions } from "../../src/face/face-guard-options.js";
import { appError, FakeFace, flush, memoryLogger, rejection, VirtualTime, quotaOn } from "./face-guard-kit.js";

function setup(options: Partial<FaceGuardOptions> = {}) {
  const time = new VirtualTime();
  const face = new FakeFace();
  const guard = createGuardedFaceGateway(
    face,
    { ...faceGuardDefaults, retry: { maxAttempts: 1 }, ...options },
    { quota: quotaOn(time), clock: time, sleep: time.sleep, logger: memoryLogger().logger, random: () => 0.5 },
  );
  return { time, face, guard };
}

const getSession = (guard: ReturnType<typeof setup>["guard"], id: string) => guard.getSession("liveness", id);

describe("face guard: token bucket and bounded queue", () => {
  it("when calls arrive together, then by default they are spaced 1/maxTps apart, so no second holds more than maxTps + 1", async () => {
    const { time, face, guard } = setup({ maxTps: 5 });
    const calls = Array.from({ length: 4 }, (_, i) => getSession(guard, `s${i}`));
    await flush();
    expect(face.count("getSession")).toBe(1);
    await time.advance(199);
    expect(face.count("getSession")).toBe(1);
    await time.advance(1);
    expect(face.count("getSession")).toBe(2);
    await time.advance(400);
    expect(face.count("getSession")).toBe(4);
    await expect(Promise.all(calls)).resolves.toHaveLength(4);
  });

  it("when a burst is configured and that many calls arrive, then they go at once and the rest follow at the refill rate", async () => {
    const { time, face, guard } = setup({ maxTps: 5, burst: 5 });
    const calls = Array.from({ length: 7 }, (_, i) => getSession(guard, `s${i}`));
    await flush();
    expect(face.count("getSession")).toBe(5);
    expect(guard.stats().queueLength).toBe(2);
    await time.advance(199);
    expect(face.count("getSession")).toBe(5);
    await time.advance(1); // one token per 200 ms at 5 TPS
    expect(face.count("getSession")).toBe(6);
    await time.advance(200);
    expect(face.count("getSession")).toBe(7);
    await expect(Promise.all(calls)).resolves.toHaveLength(7);
  });

  it("when callers queue, then Face sees them in arrival order (FIFO)", async () => {
    const { time, face, guard } = setup({ maxTps: 1, maxWaitMs: 10_000 });
    const calls = ["a", "b", "c", "d"].map((id) => getSession(guard, id));
    await time.advance(3000);
    await Promise.all(calls);
    expect(face.calls.map((c) => c.arg)).toEqual(["a", "b", "c", "d"]);
  });

  it("when the queue is full, then the next call is refused with 503 and Retry-After at once, without calling Face", async () => {
    const { face, guard } = setup({ maxTps: 1, maxQueue: 2, maxWaitMs: 10_000 });
    const admitted = [getSession(guard, "a"), getSession(guard, "b"), getSession(guard, "c")];
    const refused = rejection(await Promise.allSettled([getSession(guard, "d")]).then(([r]) => r!));
    expect(refused.code).toBe("LSO_ERR_UPSTREAM_UNAVAILABLE");
    expect(refused.retryAfterSeconds).toBe(3); // it would have been third in line behind two queued calls
    expect(face.calls.map((c) => c.arg)).toEqual(["a"]);
    expect(guard.stats().rejectedByQueue).toEqual({ queueFull: 1, waitTooLong: 0, closed: 0, quotaUnavailable: 0 });
    guard.close();
    await Promise.allSettled(admitted);
  });

  it("when the wait would exceed maxWaitMs, then the call is refused at once with the wait it would have needed", async () => {
    const { time, face, guard } = setup({ maxTps: 1, maxWaitMs: 1500 });
    const first = getSession(guard, "a");
    const second = getSession(guard, "b"); // 1000 ms: within the bound
    const [third] = await Promise.allSettled([getSession(guard, "c")]); // 2000 ms: beyond it
    expect(rejection(third!).retryAfterSeconds).toBe(2);
    await time.advance(1000);
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    expect(face.count("getSession")).toBe(2);
    expect(guard.stats().rejectedByQueue.waitTooLong).toBe(1);
  });

  it("when the queue allows no waiting (maxQueue 0), then only calls with a token available go through", async () => {
    const { face, guard } = setup({ maxTps: 2, burst: 2, maxQueue: 0 });
    const results = await Promise.allSettled([1, 2, 3].map((i) => getSession(guard, `s${i}`)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect(face.count("getSession")).toBe(2);
  });
});

describe("face guard: Face's Retry-After", () => {
  it("when Face answers 429 with Retry-After, then no caller reaches Face before it has passed", async () => {
    // Room to wait a little past the pause: the read goes after the create that queued behind it.
    const { time, face, guard } = setup({ maxTps: 100, maxWaitMs: 3000 });
    face.script("createLivenessSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 2));
    const [throttled] = await Promise.allSettled([guard.createLivenessSession({} as never)]);
    expect(rejection(throttled!).retryAfterSeconds).toBe(2);

    const other = getSession(guard, "other");
    const create = guard.createLivenessSession({} as never);
    await time.advance(1999);
    expect(face.calls).toHaveLength(1);
    // The pause's end brings one token: the create may spend all of it and goes then; a read must leave the creates'
    // half-token reserve, so it waits for one and a half more (15 ms at 100 TPS).
    await time.advance(1);
    expect(face.count("createLivenessSession")).toBe(2);
    expect(face.count("getSession")).toBe(0);
    await time.advance(14);
    expect(face.count("getSession")).toBe(0);
    await time.advance(1);
    expect(face.count("getSession")).toBe(1);
    await Promise.all([other, create]);
    expect(guard.stats().retryAfterPauses).toBe(1);
  });

  it("when Face's pause is longer than a caller may wait, then waiting and new callers are refused with the remaining wait", async () => {
    const { time, face, guard } = setup({ maxTps: 1, maxWaitMs: 2000 });
    face.script("createLivenessSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 5));
    const create = guard.createLivenessSession({} as never); // takes the only token
    const queued = getSession(guard, "queued"); // waits for the next token
    const [createResult, queuedResult] = await Promise.allSettled([create, queued]);
    expect(rejection(createResult!).retryAfterSeconds).toBe(5);
    expect(rejection(queuedResult!).retryAfterSeconds).toBe(5);

    await time.advance(1000);
    const [late] = await Promise.allSettled([getSession(guard, "late")]);
    expect(rejection(late!).retryAfterSeconds).toBe(4);
    expect(face.count("getSession")).toBe(0);
    expect(guard.stats().pausedUntil).toBe(time.now() + 4000);
  });

  it("when the pause ends, then calls resume one at a time at the steady rate, not as a burst", async () => {
    const { time, face, guard } = setup({ maxTps: 10, maxWaitMs: 5000 });
    face.script("createLivenessSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 1));
    await Promise.allSettled([guard.createLivenessSession({} as never)]);
    const calls = ["a", "b", "c"].map((id) => getSession(guard, id));
    // Reads must leave the creates' half-token reserve: they start half an interval after the pause's end.
    await time.advance(1000);
    expect(face.count("getSession")).toBe(0);
    await time.advance(50);
    expect(face.count("getSession")).toBe(1);
    await time.advance(100);
    expect(face.count("getSession")).toBe(2);
    await time.advance(100);
    await expect(Promise.all(calls)).resolves.toHaveLength(3);
  });
});

describe("face guard: close", () => {
  it("when closed, then queued and later calls are refused with 503 and no timer is left behind", async () => {
    const { time, face, guard } = setup({ maxTps: 1 });
    const calls = [getSession(guard, "a"), getSession(guard, "b")];
    await flush();
    guard.close();
    const [first, queued] = await Promise.allSettled(calls);
    expect(first!.status).toBe("fulfilled");
    expect(rejection(queued!).code).toBe("LSO_ERR_UPSTREAM_UNAVAILABLE");
    expect(rejection((await Promise.allSettled([getSession(guard, "c")]))[0]!).code).toBe("LSO_ERR_UPSTREAM_UNAVAILABLE");
    expect(face.count("getSession")).toBe(1);
    expect(time.pendingTimers).toBe(0);
    expect(guard.stats().rejectedByQueue.closed).toBe(2);
  });

  it("when a create finds the gate idle, then it goes to Face at once and leaves no timer behind", async () => {
    const { time, face, guard } = setup({ maxTps: 5 });
    await guard.createLivenessSession({} as never);
    expect(face.count("createLivenessSession")).toBe(1);
    expect(time.pendingTimers).toBe(0);
    expect(guard.stats().queueLength).toBe(0);
  });

  it("when creates find the gate idle but the bucket empty, then the held one queues and goes at the next token, in order", async () => {
    const { time, face, guard } = setup({ maxTps: 5 });
    const done: string[] = [];
    const create = (name: string) => guard.createLivenessSession({} as never).then(() => done.push(name));
    const first = create("a");
    await flush();
    const held = [create("b"), create("c")];
    await flush();
    expect(face.count("createLivenessSession")).toBe(1);
    expect(guard.stats().queueLength).toBe(2);
    await time.advance(200);
    expect(face.count("createLivenessSession")).toBe(2);
    await time.advance(200);
    await Promise.all([first, ...held]);
    expect(done).toEqual(["a", "b", "c"]);
  });
});
