import { describe, expect, it } from "vitest";

import { AppError } from "../../src/errors.js";
import { createGuardedFaceGateway } from "../../src/face/face-guard.js";
import { faceGuardDefaults, type FaceGuardOptions } from "../../src/face/face-guard-options.js";
import { backoffDelayMs } from "../../src/face/face-guard-policy.js";
import { appError, FakeFace, memoryLogger, rejection, VirtualTime, quotaOn } from "./face-guard-kit.js";

function setup(options: Partial<FaceGuardOptions> = {}) {
  const time = new VirtualTime();
  const face = new FakeFace();
  const logs = memoryLogger();
  const guard = createGuardedFaceGateway(face, { ...faceGuardDefaults, maxTps: 100, ...options }, {
    quota: quotaOn(time),
    clock: time,
    sleep: time.sleep,
    logger: logs.logger,
    random: () => 0.5,
  });
  return { time, face, guard, logs };
}

const verifyParams = {} as never;

describe("face guard: retries", () => {
  it("when a read fails with 5xx and then a timeout, then it is retried and succeeds on the third attempt", async () => {
    const { time, face, guard, logs } = setup();
    face.script("getSession", appError("LSO_ERR_UPSTREAM"), appError("LSO_ERR_UPSTREAM_TIMEOUT"));
    const result = await time.run(guard.getSession("liveness", "s1"));
    expect(result.status).toBe("fulfilled");
    expect(face.count("getSession")).toBe(3);
    expect(guard.stats().retries.getSession).toBe(2);
    expect(guard.stats().upstreamCalls.getSession).toBe(3);
    const retryLines = logs.lines().filter((l) => l.msg === "Face call failed; retrying");
    expect(retryLines).toMatchObject([
      { level: 20, faceOperation: "getSession", attempt: 2, errorCode: "LSO_ERR_UPSTREAM" },
      { level: 20, faceOperation: "getSession", attempt: 3, errorCode: "LSO_ERR_UPSTREAM_TIMEOUT" },
    ]);
  });

  it.each(["LSO_ERR_UPSTREAM_UNAVAILABLE", "LSO_ERR_UPSTREAM_TIMEOUT", "LSO_ERR_UPSTREAM"] as const)(
    "when a create fails with %s, then Face was called exactly once (a repeated create would orphan a session)",
    async (code) => {
      const { time, face, guard } = setup();
      face.script("createLivenessSession", appError(code, 1)).script("createLivenessWithVerifySession", appError(code, 1));
      expect(rejection(await time.run(guard.createLivenessSession(verifyParams))).code).toBe(code);
      expect(rejection(await time.run(guard.createLivenessWithVerifySession(verifyParams))).code).toBe(code);
      expect(face.count("createLivenessSession")).toBe(1);
      expect(face.count("createLivenessWithVerifySession")).toBe(1);
      expect(guard.stats().retries.createLivenessSession).toBe(0);
    },
  );

  it.each(["LSO_ERR_SESSION_NOT_FOUND", "LSO_ERR_UPSTREAM_AUTH", "LSO_ERR_SESSION_IMAGE_NOT_FOUND"] as const)(
    "when a read fails with %s, then it is not retried",
    async (code) => {
      const { time, face, guard } = setup();
      face.script("getSessionImage", appError(code));
      expect(rejection(await time.run(guard.getSessionImage("img"))).code).toBe(code);
      expect(face.count("getSessionImage")).toBe(1);
    },
  );

  it("when LSO_ERR_UPSTREAM carries a 4xx upstream status, then it is not retried", async () => {
    const { time, face, guard } = setup();
    face.script("getSession", Object.assign(new AppError("LSO_ERR_UPSTREAM"), { upstreamStatus: 400 }));
    expect(rejection(await time.run(guard.getSession("liveness", "s"))).code).toBe("LSO_ERR_UPSTREAM");
    expect(face.count("getSession")).toBe(1);
  });

  it("when every attempt fails, then attempts stop at maxAttempts and the last error is returned", async () => {
    const { time, face, guard } = setup({ retry: { maxAttempts: 3 } });
    face.always("probe", appError("LSO_ERR_UPSTREAM_TIMEOUT"));
    expect(rejection(await time.run(guard.probe())).code).toBe("LSO_ERR_UPSTREAM_TIMEOUT");
    expect(face.count("probe")).toBe(3);
  });

  it("when the next backoff would pass the time budget, then no further attempt starts", async () => {
    // Backoff with jitter 0.5: 75 ms, then 150 ms; 75 + 150 passes a 200 ms budget.
    expect([backoffDelayMs(1, 100, 1000, () => 0.5), backoffDelayMs(2, 100, 1000, () => 0.5)]).toEqual([75, 150]);
    const { time, face, guard } = setup({ retry: { maxAttempts: 5, budgetMs: 200 } });
    face.always("getSession", appError("LSO_ERR_UPSTREAM"));
    await time.run(guard.getSession("liveness", "s"));
    expect(face.count("getSession")).toBe(2);
  });

  it("when a delete times out and its retry hears SessionNotFound, then the delete counts as done", async () => {
    const { time, face, guard } = setup();
    face.script("deleteSession", appError("LSO_ERR_UPSTREAM_TIMEOUT"), appError("LSO_ERR_SESSION_NOT_FOUND"));
    const result = await time.run(guard.deleteSession("liveness", "s1"));
    expect(result).toEqual({ status: "fulfilled", value: { value: undefined } });
    expect(face.count("deleteSession")).toBe(2);
    expect(guard.stats().deletesGoneAfterRetry).toBe(1);
    expect(guard.stats().calls.deleteSession).toEqual({ ok: 1 });
  });

  it("when a delete's first attempt hears SessionNotFound, then it is reported as not found", async () => {
    const { time, face, guard } = setup();
    face.script("deleteSession", appError("LSO_ERR_SESSION_NOT_FOUND"));
    expect(rejection(await time.run(guard.deleteSession("liveness", "s1"))).code).toBe("LSO_ERR_SESSION_NOT_FOUND");
    expect(guard.stats().deletesGoneAfterRetry).toBe(0);
  });

  it("when a read is throttled with Retry-After, then its retry waits for the pause and takes a token", async () => {
    const { time, face, guard } = setup({ maxWaitMs: 3000 });
    face.script("getSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 2));
    const call = guard.getSession("liveness", "s1");
    await time.advance(2000);
    // A read must leave the creates' half-token reserve: it goes half an interval after the pause's end.
    expect(face.count("getSession")).toBe(1);
    await time.advance(5);
    expect(face.count("getSession")).toBe(2);
    await expect(call).resolves.toMatchObject({ value: { sessionId: "s1" } });
  });

  it("when Face's pause is longer than the retry may wait, then the caller gets 503 with the remaining wait", async () => {
    const { time, face, guard } = setup({ maxWaitMs: 2000 });
    face.script("getSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 10));
    const refused = rejection(await time.run(guard.getSession("liveness", "s1")));
    expect(refused).toMatchObject({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 10 });
    expect(face.count("getSession")).toBe(1);
  });
});
