import { AzureKeyCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";

import type { FaultPlanInput } from "../../src/emulator/emulator-fault-plan.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { AppError } from "../../src/errors.js";
import { createFaceGateway, type ClosableFaceGateway } from "../../src/face/face-client.js";
import type { CreateSessionParams } from "../../src/face/face-gateway.js";
import { createGuardedFaceGateway, type GuardedFaceGateway } from "../../src/face/face-guard.js";
import { faceGuardDefaults, type FaceGuardOptions } from "../../src/face/face-guard-options.js";
import { systemClock } from "../../src/lib/clock.js";
import { memoryLogger, quotaOn } from "./face-guard-kit.js";

/**
 * The real gateway (SDK, HTTP, error mapping) wrapped by the guard, against the real emulator injecting faults over
 * loopback. Assertions are about behaviour and counts, never durations.
 */
const KEY = "face-guard-emulator-key-0123456789";
const createParams: CreateSessionParams = { livenessOperationMode: "Passive", deviceCorrelationId: "d-1", authTokenTimeToLiveInSeconds: 600, enableSessionImage: false };

/** The codes a guarded call may end with besides success, as documented in docs/errors.md. */
const DOCUMENTED = new Set(["LSO_ERR_UPSTREAM_UNAVAILABLE", "LSO_ERR_UPSTREAM_TIMEOUT", "LSO_ERR_UPSTREAM"]);

let emulator: RunningEmulator | undefined;
let guard: GuardedFaceGateway | undefined;
let gateway: ClosableFaceGateway | undefined;
afterEach(async () => {
  guard?.close();
  // The gateway's keep-alive pool too, as the app closes it: idle connections would hold the emulator's close open.
  await gateway?.close();
  await emulator?.close();
  guard = emulator = gateway = undefined;
});

async function setup(options: Partial<FaceGuardOptions> = {}, faults?: FaultPlanInput, timeoutMs = 2000) {
  emulator = await startEmulator({ apiKey: KEY, ...(faults && { faults }) });
  const logs = memoryLogger();
  const inner = createFaceGateway({ endpoint: emulator.url, apiVersion: "v1.2", credential: new AzureKeyCredential(KEY), timeoutMs, logger: logs.logger });
  gateway = inner;
  guard = createGuardedFaceGateway(inner, { ...faceGuardDefaults, maxTps: 50, ...options }, { quota: quotaOn(systemClock), clock: systemClock, logger: logs.logger });
  return { emulator, guard, logs };
}

/** "ok", or the documented AppError code; anything else fails the test right here. */
function outcome(result: PromiseSettledResult<unknown>): string {
  if (result.status === "fulfilled") return "ok";
  const err: unknown = result.reason;
  if (!(err instanceof AppError) || !DOCUMENTED.has(err.code)) throw new Error(`undocumented outcome: ${String(err)}`);
  if (err.code === "LSO_ERR_UPSTREAM_UNAVAILABLE") expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  return err.code;
}

describe("face guard against the emulator: retries", () => {
  it("when reads meet transient 500s, a 503 and a timeout, then they are retried and succeed", async () => {
    const { emulator, guard } = await setup({}, undefined, 300);
    const { value: session } = await guard.createLivenessSession(createParams);
    emulator.state.faults.set([{ fault: "500", count: 2, operations: ["getLivenessSession"] }]);
    await expect(guard.getSession("liveness", session.sessionId)).resolves.toMatchObject({ value: { sessionId: session.sessionId } });
    emulator.state.faults.set([{ fault: "503", count: 1, retryAfterSeconds: 1, operations: ["getLivenessSession"] }]);
    await expect(guard.getSession("liveness", session.sessionId)).resolves.toBeDefined();
    emulator.state.faults.set([{ fault: "latency", ms: 5000, count: 1, operations: ["getLivenessSession"] }]);
    await expect(guard.getSession("liveness", session.sessionId)).resolves.toBeDefined();

    expect(emulator.state.requestCount("getLivenessSession")).toBe(3 + 2 + 2);
    expect(guard.stats().retries.getSession).toBe(4);
    expect(guard.stats().retryAfterPauses).toBe(1);
  });

  it("when a delete's reply is lost after Face deleted the session, then the retry's 404 counts as deleted", async () => {
    const { emulator, guard } = await setup();
    const { value: session } = await guard.createLivenessSession(createParams);
    emulator.state.faults.set([{ fault: "reset", phase: "after", count: 1, operations: ["deleteLivenessSession"] }]);
    await expect(guard.deleteSession("liveness", session.sessionId)).resolves.toEqual({ value: undefined });
    expect(emulator.state.requestCount("deleteLivenessSession")).toBe(2);
    expect(emulator.state.sessionCount).toBe(0);
    expect(guard.stats().deletesGoneAfterRetry).toBe(1);
  });
});

describe("face guard against the emulator: no orphan sessions", () => {
  it("when creates meet 429s, 500s, 503s and resets, then each is sent at most once and every session made is ours", async () => {
    const faults = [
      { fault: "429" as const, rate: 0.15 },
      { fault: "500" as const, rate: 0.15 },
      { fault: "503" as const, rate: 0.15 },
      { fault: "reset" as const, rate: 0.15 },
    ];
    // All sixteen at once (a burst that size), so each meets its fault before any Retry-After pauses the rest.
    const { emulator, guard } = await setup({ burst: 16, breaker: { failureThreshold: 100, cooldownMs: 1000 } }, { seed: 7, rules: faults });
    const results = await Promise.allSettled(Array.from({ length: 16 }, () => guard.createLivenessSession(createParams)));
    const outcomes = results.map(outcome);
    const ours = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.value.sessionId] : []));

    const posted = emulator.state.requestCount("createLivenessSession");
    expect(posted).toBe(guard.stats().upstreamCalls.createLivenessSession);
    expect(posted).toBeLessThanOrEqual(16);
    expect(guard.stats().retries.createLivenessSession).toBe(0);
    // Every fault here strikes before Face does the work, so the sessions that exist are exactly the ones we got.
    expect(emulator.state.sessionCount).toBe(ours.length);
    for (const id of ours) expect(emulator.state.findSession(id, "liveness", Date.now())).toBeDefined();
    expect(outcomes).toContain("ok");
    expect(outcomes.some((o) => o !== "ok")).toBe(true);
  });

  it("when creates take longer than the timeout, then they end in 504, are never re-sent, and only those may leave a session", async () => {
    const faults = [{ fault: "latency" as const, ms: 2000, rate: 0.5, operations: ["createLivenessSession" as const] }];
    const { emulator, guard } = await setup({}, { seed: 3, rules: faults }, 300);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => guard.createLivenessSession(createParams)));
    const outcomes = results.map(outcome);
    const timedOut = outcomes.filter((o) => o === "LSO_ERR_UPSTREAM_TIMEOUT").length;
    const ours = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.value.sessionId] : []));

    expect(emulator.state.requestCount("createLivenessSession")).toBe(8);
    expect(timedOut).toBeGreaterThan(0);
    expect(ours.length + timedOut).toBe(8);
    // Face may finish a create whose caller gave up: that orphan is unavoidable, but a retry would have added another.
    expect(emulator.state.sessionCount).toBeGreaterThanOrEqual(ours.length);
    expect(emulator.state.sessionCount).toBeLessThanOrEqual(ours.length + timedOut);
  });

  it("when every operation meets mixed faults, then every call ends in success or a documented error", async () => {
    const rules = [
      { fault: "latency" as const, ms: 1500, rate: 0.05, operations: "management" as const },
      { fault: "429" as const, rate: 0.1, operations: "management" as const },
      { fault: "500" as const, rate: 0.1, operations: "management" as const },
      { fault: "503" as const, rate: 0.1, operations: "management" as const },
      { fault: "reset" as const, rate: 0.05, operations: "management" as const },
    ];
    const { emulator, guard, logs } = await setup({ breaker: { failureThreshold: 5, cooldownMs: 500 } }, { seed: 11, rules }, 300);
    const flow = async () => {
      const created = (await Promise.allSettled([guard.createLivenessSession(createParams)]))[0]!;
      if (created.status === "rejected") return [created];
      const id = created.value.value.sessionId;
      const read = await Promise.allSettled([guard.getSession("liveness", id)]);
      return [created, ...read, ...(await Promise.allSettled([guard.deleteSession("liveness", id)]))];
    };
    const results = (await Promise.all(Array.from({ length: 10 }, flow))).flat();
    const outcomes = results.map(outcome);
    expect(outcomes.length).toBeGreaterThanOrEqual(10);
    expect(emulator.state.requestCount("createLivenessSession")).toBeLessThanOrEqual(10);
    expect(logs.lines().map((l) => JSON.stringify(l)).join("\n")).not.toContain(KEY);
  });
});

describe("face guard against the emulator: circuit breaker", () => {
  it("when Face answers a run of 500s, then the breaker opens, Face stops being called, and a later trial closes it", async () => {
    const { emulator, guard } = await setup({ breaker: { failureThreshold: 3, cooldownMs: 400 } });
    const { value: session } = await guard.createLivenessSession(createParams);
    emulator.state.faults.set([{ fault: "500", operations: ["getLivenessSession"] }]);

    await expect(guard.getSession("liveness", session.sessionId)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
    expect(guard.stats().breaker.state).toBe("open");
    expect(emulator.state.requestCount("getLivenessSession")).toBe(3); // one call, three attempts
    for (let i = 0; i < 5; i++) {
      await expect(guard.getSession("liveness", session.sessionId)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1 });
    }
    expect(emulator.state.requestCount("getLivenessSession")).toBe(3); // the breaker kept them all from Face

    const cleared = await fetch(`${emulator.url}/emulator/faults`, { method: "DELETE", headers: { "Ocp-Apim-Subscription-Key": KEY } });
    expect(cleared.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 450)); // the cool-down, on the real clock
    await expect(guard.getSession("liveness", session.sessionId)).resolves.toBeDefined();
    expect(emulator.state.requestCount("getLivenessSession")).toBe(4);
    expect(guard.stats().breaker).toMatchObject({ state: "closed", transitions: { open: 1, halfOpen: 1, closed: 1 } });
    expect(guard.stats().rejectedByBreaker).toBe(5);
  });
});
