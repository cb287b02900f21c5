/**
 * Long-poll (GET …?waitSeconds=N) and ETags: a wait ends as soon as the decision settles; any number of waiters
 * share one poll loop, so Face sees a bounded number of reads; app close lets every waiter go; and the server's
 * request timeouts (which are about receiving a request) never cut a long-poll.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth } from "../helpers/app-harness.js";
import { create, device, faceReads, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

let stack: OutcomeStack;
beforeAll(async () => {
  stack = await startOutcomeStack({ DELETE_AFTER_DECISION: "false" });
});
afterAll(async () => stack.close());

describe("long-poll", () => {
  it("when the device declines while the caller waits, then the wait ends with the settled decision at once", async () => {
    const session = await create(stack);
    const started = Date.now();
    const waiting = read(stack, session.id, "?waitSeconds=20");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await device(stack, session, { livenessDecision: "spoofface" });
    const res = await waiting;
    expect(res.statusCode).toBe(200);
    expect(res.json().decision.outcome).toBe("declined");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("when nothing settles, then the wait ends after waitSeconds with the pending view", async () => {
    const session = await create(stack);
    const started = Date.now();
    const res = await read(stack, session.id, "?waitSeconds=1");
    expect(res.statusCode).toBe(200);
    expect(res.json().decision).toMatchObject({ outcome: "pending", decidedAt: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("when 20 callers wait on one session, then Face sees one read per poll interval, not one per waiter", async () => {
    const session = await create(stack);
    const before = faceReads(stack);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => read(stack, session.id, "?waitSeconds=3")));
    const waitedSeconds = (Date.now() - started) / 1000;
    expect(answers.every((a) => a.statusCode === 200 && a.json().decision.outcome === "pending")).toBe(true);
    // The first reads join one in-flight call; then one loop polls at 0.5 s, 1 s, 2 s... (minimum interval 0.5 s).
    expect(faceReads(stack) - before).toBeLessThanOrEqual(Math.ceil(waitedSeconds / 0.5) + 2);
  });

  it("when 20 callers wait and the device succeeds, then every one of them gets the settled decision", async () => {
    const session = await create(stack, {}, "globex");
    const waiting = Promise.all(Array.from({ length: 20 }, () => read(stack, session.id, "?waitSeconds=20", "globex")));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await device(stack, session, { livenessDecision: "realface" });
    const answers = await waiting;
    expect(new Set(answers.map((a) => a.json().decision.outcome))).toEqual(new Set(["approved"]));
  });

  it("when waitSeconds is out of range or not a number, then 400 names it", async () => {
    const session = await create(stack);
    for (const value of ["31", "-1", "abc", "1.5"]) {
      const res = await read(stack, session.id, `?waitSeconds=${value}`);
      expect(res.statusCode, value).toBe(400);
      expect(res.json().error.fields[0].path).toBe("querystring.waitSeconds");
    }
  });
});

describe("ETag", () => {
  it("when the caller sends back the ETag of an unchanged view, then 304 with no body; a changed view answers 200", async () => {
    const session = await create(stack);
    await device(stack, session, { livenessDecision: "spoofface" });
    const first = await read(stack, session.id);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await read(stack, session.id, "", "acme", { "if-none-match": etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.etag).toBe(etag);
    expect((await read(stack, session.id, "", "acme", { "if-none-match": `W/${etag}, "other"` })).statusCode).toBe(304);
    expect((await read(stack, session.id, "", "acme", { "if-none-match": '"stale"' })).statusCode).toBe(200);
  });
});

describe("long-polls and the app's life", () => {
  it("when the app closes while callers wait, then every wait ends at once", async () => {
    const own = await startOutcomeStack();
    const session = await create(own);
    const started = Date.now();
    const waiting = Promise.all(Array.from({ length: 3 }, () => read(own, session.id, "?waitSeconds=30")));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await own.close();
    const answers = await waiting;
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("when the server's request timeout is shorter than the wait, then the long-poll still ends normally", async () => {
    const own = await startOutcomeStack({ REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "1000" });
    try {
      const session = await create(own);
      const url = await own.app.listen({ port: 0, host: "127.0.0.1" });
      const started = Date.now();
      const res = await fetch(`${url}/v1/sessions/${session.id}?waitSeconds=2`, { headers: auth() });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { decision: { outcome: string } }).decision.outcome).toBe("pending");
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    } finally {
      await own.close();
    }
  });
});
