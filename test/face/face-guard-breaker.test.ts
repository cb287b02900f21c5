import { describe, expect, it } from "vitest";

import { AppError } from "../../src/errors.js";
import { createGuardedFaceGateway } from "../../src/face/face-guard.js";
import { faceGuardDefaults } from "../../src/face/face-guard-options.js";
import { appError, deferred, FakeFace, flush, memoryLogger, rejection, VirtualTime, quotaOn } from "./face-guard-kit.js";

/** Threshold 3, cool-down 1 s, no retries: each call is one attempt, so counts are easy to read. */
function setup() {
  const time = new VirtualTime();
  const face = new FakeFace();
  const logs = memoryLogger();
  const guard = createGuardedFaceGateway(
    face,
    { ...faceGuardDefaults, maxTps: 100, retry: { maxAttempts: 1 }, breaker: { failureThreshold: 3, cooldownMs: 1000 } },
    { quota: quotaOn(time), clock: time, sleep: time.sleep, logger: logs.logger, random: () => 0.5 },
  );
  const get = (id = "s") => time.run(guard.getSession("liveness", id));
  return { time, face, guard, logs, get };
}

describe("face guard: circuit breaker", () => {
  it("when Face fails N times in a row, then the breaker opens and calls fail fast with the remaining cool-down", async () => {
    const { time, face, guard, logs, get } = setup();
    face.script("getSession", appError("LSO_ERR_UPSTREAM"), appError("LSO_ERR_UPSTREAM_TIMEOUT"), appError("LSO_ERR_UPSTREAM"));
    for (let i = 0; i < 3; i++) await get();
    expect(guard.stats().breaker.state).toBe("open");

    const refused = rejection(await get());
    expect(refused).toMatchObject({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1 });
    expect(rejection(await time.run(guard.createLivenessSession({} as never))).code).toBe("LSO_ERR_UPSTREAM_UNAVAILABLE");
    expect(face.calls).toHaveLength(3); // neither call reached Face
    expect(guard.stats().rejectedByBreaker).toBe(2);
    const warn = logs.lines().filter((l) => l.level === 40);
    expect(warn).toMatchObject([{ breaker: "open", consecutiveFailures: 3 }]);
  });

  it("when the cool-down is over, then one trial call goes through, others fail fast, and its success closes the breaker", async () => {
    const { time, face, guard, logs, get } = setup();
    face.always("getSession", appError("LSO_ERR_UPSTREAM"));
    for (let i = 0; i < 3; i++) await get();
    await time.advance(1000);
    expect(guard.stats().breaker.state).toBe("halfOpen");

    const trial = deferred();
    face.script("getSession", () => trial.promise);
    const trialCall = guard.getSession("liveness", "trial");
    await flush();
    expect(rejection(await get("other"))).toMatchObject({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1 });
    trial.resolve({ value: { sessionId: "trial" } });
    await expect(trialCall).resolves.toMatchObject({ value: { sessionId: "trial" } });

    const stats = guard.stats();
    expect(stats.breaker).toEqual({ state: "closed", consecutiveFailures: 0, transitions: { open: 1, halfOpen: 1, closed: 1 } });
    expect(face.count("getSession")).toBe(4); // three failures and the trial
    expect(logs.lines().filter((l) => l.level === 40).map((l) => l.breaker)).toEqual(["open", "closed"]);
  });

  it("when the trial call fails, then the breaker opens again for another cool-down", async () => {
    const { time, face, guard, get } = setup();
    face.always("getSession", appError("LSO_ERR_UPSTREAM"));
    for (let i = 0; i < 3; i++) await get();
    await time.advance(1000);
    await get("trial");
    expect(guard.stats().breaker).toMatchObject({ state: "open", transitions: { open: 2, halfOpen: 1, closed: 0 } });
    await get("refused");
    expect(face.count("getSession")).toBe(4);
  });

  it("when Face throttles (429/503 with Retry-After), then the breaker stays closed", async () => {
    const { face, guard, get } = setup();
    face.always("getSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 1));
    for (let i = 0; i < 5; i++) await get();
    expect(face.count("getSession")).toBe(5);
    expect(guard.stats().breaker).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    expect(guard.stats().retryAfterPauses).toBe(5);
  });

  it("when an unavailable error is marked as a transport failure, then it counts towards opening", async () => {
    const { face, guard, get } = setup();
    const reset = new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { retryAfterSeconds: 1, cause: { transportError: "ECONNRESET" } });
    face.always("getSession", reset);
    for (let i = 0; i < 3; i++) await get();
    expect(guard.stats().breaker.state).toBe("open");
  });

  it("when Face answers a 4xx in between failures, then the count starts over", async () => {
    const { face, guard, get } = setup();
    const fail = appError("LSO_ERR_UPSTREAM");
    face.script("getSession", fail, fail, appError("LSO_ERR_SESSION_NOT_FOUND"), fail, fail);
    for (let i = 0; i < 5; i++) await get();
    expect(guard.stats().breaker).toMatchObject({ state: "closed", consecutiveFailures: 2 });
  });

  it("when calls already in flight fail after the breaker opened, then they do not extend it", async () => {
    const { time, face, guard, get } = setup();
    const slow = deferred();
    face.script("getSession", () => slow.promise);
    const inFlight = guard.getSession("liveness", "slow");
    await flush();
    face.always("getSession", appError("LSO_ERR_UPSTREAM"));
    for (let i = 0; i < 3; i++) await get();
    slow.reject(appError("LSO_ERR_UPSTREAM_TIMEOUT"));
    await expect(inFlight).rejects.toThrow(AppError);
    await time.advance(1000);
    expect(guard.stats().breaker.state).toBe("halfOpen");
  });
});

describe("face guard: stats", () => {
  it("when calls end in different ways, then stats count them by operation and outcome", async () => {
    const { time, face, guard } = setup();
    face.script("getSession", appError("LSO_ERR_SESSION_NOT_FOUND"));
    face.script("createLivenessSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 1));
    await time.run(guard.getSession("liveness", "missing"));
    await time.run(guard.getSession("liveness", "found"));
    await time.run(guard.createLivenessSession({} as never));
    await time.run(guard.probe());
    const stats = guard.stats();
    expect(stats).toEqual({
      calls: {
        createLivenessSession: { LSO_ERR_UPSTREAM_UNAVAILABLE: 1 },
        createLivenessWithVerifySession: {},
        getSession: { LSO_ERR_SESSION_NOT_FOUND: 1, ok: 1 },
        deleteSession: {},
        getSessionImage: {},
        probe: { ok: 1 },
      },
      upstreamCalls: { createLivenessSession: 1, createLivenessWithVerifySession: 0, getSession: 2, deleteSession: 0, getSessionImage: 0, probe: 1 },
      retries: { createLivenessSession: 0, createLivenessWithVerifySession: 0, getSession: 0, deleteSession: 0, getSessionImage: 0, probe: 0 },
      deletesGoneAfterRetry: 0,
      rejectedByQueue: { queueFull: 0, waitTooLong: 0, closed: 0, quotaUnavailable: 0 },
      rejectedByBreaker: 0,
      retryAfterPauses: 1,
      granted: { create: 1, read: 3, delete: 0, background: 0 },
      // The probe after the create's pause waited half an interval more, for the creates' reserve.
      quotaHolds: { face: 1, background: 0, pause: 0 },
      quotaErrors: 0,
      breaker: { state: "closed", consecutiveFailures: 0, transitions: { open: 0, halfOpen: 0, closed: 0 } },
      queueLength: 0,
      queued: { create: 0, read: 0, delete: 0, background: 0 },
      pausedUntil: 0,
    });
    // A snapshot is a copy: later calls do not change it.
    await time.run(guard.probe());
    expect(stats.calls.probe).toEqual({ ok: 1 });
  });
});
