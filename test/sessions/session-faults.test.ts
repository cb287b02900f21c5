/**
 * Issue 5's promise at the API seam: with Face (the emulator) failing in every way it can, each API request ends in
 * a 2xx or a documented 4xx/5xx, every 503 carries Retry-After, nothing is a 500, and no session exists at Face that
 * our API did not hand back to a caller, except the ones whose create answer Face itself lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ FACE_MAX_TPS: "1000", FACE_TIMEOUT_MS: "400", FACE_MAX_WAIT_MS: "1500", FACE_BREAKER_FAILURES: "1000" });
});
afterAll(async () => stack.close());

const documented = new Set([200, 201, 204, 404, 502, 503, 504]);

describe("the API under injected Face faults", () => {
  it("when Face throttles, fails, stalls and drops connections at random, then every answer is documented and 503s carry Retry-After", { timeout: 60_000 }, async () => {
    stack.emulator.state.faults.set({
      seed: 42,
      rules: [
        // Each 429/503 pauses every Face call for its Retry-After (1 s): rare enough that the run stays short.
        { fault: "429", rate: 0.03, retryAfterSeconds: 1, operations: "management" },
        { fault: "503", rate: 0.03, retryAfterSeconds: 1, operations: "management" },
        { fault: "500", rate: 0.1, operations: "management" },
        { fault: "reset", rate: 0.05, operations: "management" },
        { fault: "latency", ms: 800, rate: 0.05, operations: "management" },
      ],
    });
    const created: string[] = [];
    let createRequests = 0;
    let createTimeouts = 0;
    const answers: { status: number; retryAfter: string | undefined; code?: string }[] = [];
    const record = (res: { statusCode: number; headers: Record<string, unknown>; json: () => { error?: { code: string } } }) =>
      answers.push({ status: res.statusCode, retryAfter: res.headers["retry-after"] as string | undefined, code: res.statusCode >= 400 ? res.json().error?.code : undefined });

    // Bounded: 40 rounds of create → read → delete, four at a time.
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          createRequests += 1;
          const res = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" });
          record(res);
          if (res.statusCode === 504) createTimeouts += 1;
          if (res.statusCode !== 201) return;
          created.push(res.json().id);
          record(await stack.app.inject({ method: "GET", url: `/v1/sessions/${res.json().id}`, headers: auth() }));
          record(await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${res.json().id}`, headers: auth() }));
        }),
      );
    }
    stack.emulator.state.faults.clear();

    expect(answers.filter((a) => !documented.has(a.status))).toEqual([]);
    expect(answers.filter((a) => a.status === 503 && !a.retryAfter)).toEqual([]);
    expect(answers.filter((a) => a.status >= 400).every((a) => a.code?.startsWith("LSO_ERR_"))).toBe(true);
    // Faults really happened, and so did successes.
    expect(answers.some((a) => a.status >= 500)).toBe(true);
    expect(created.length).toBeGreaterThan(10);
    // Creates are never repeated: each create the API was asked for reached Face at most once.
    expect(stack.emulator.state.requestCount("createLivenessSession")).toBeLessThanOrEqual(createRequests);
    // Every session left at Face is one the API handed back (and a failed delete left; the caller can retry it), or
    // one whose create Face finished after we had given up waiting (a 504): no retry ever made a second one.
    const undeleted = created.filter((id) => stack.emulator.state.findSession(id, "liveness", Date.now())).length;
    expect(stack.emulator.state.sessionCount).toBeLessThanOrEqual(undeleted + createTimeouts);
  });
});
