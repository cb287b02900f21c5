import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { systemClock } from "../../src/lib/clock.js";
import { etagOf } from "../../src/sessions/session-http.js";
import { sessionViewSchema } from "../../src/sessions/session-schemas.js";
import { toSessionView } from "../../src/sessions/session-view.js";
import { SettledViewCache } from "../../src/sessions/session-view-cache.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { POLICIES } from "./session-outcomes-kit.js";

const state = createMemoryState(systemClock);
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ CLIENT_POLICIES: POLICIES }, { state });
});
afterAll(async () => stack.close());

/**
 * What the route sent before settled views were cached: the view built from the record, encoded by the route's
 * serializer (the zod schema's encode, then JSON.stringify), and the ETag as the hash of the view.
 */
async function referenceOf(id: string, exposeScores: boolean) {
  const record = (await state.sessions.get(id))!;
  const view = toSessionView(record, record.decision!, exposeScores);
  return { body: JSON.stringify(sessionViewSchema.encode(view)), etag: etagOf(view) };
}

async function settledSession(client: "globex") {
  const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" }, client)).json();
  await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "realface" });
  return created.id as string;
}

const get = (id: string, client: "acme" | "globex", headers: Record<string, string> = {}) =>
  stack.app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: { ...auth(client), ...headers } });

describe("settled reads served from the encoded view", () => {
  // globex's policy settles on GET (no client digest) and exposes scores; acme's settles through /complete, below.
  it("when a settled session is read again and again, then every answer is byte-identical to the view encoded afresh", async () => {
    const client = "globex";
    const id = await settledSession(client);
    const first = await get(id, client);
    const again = await get(id, client);
    const reference = await referenceOf(id, true);
    expect(first.json().decision.decidedAt).not.toBeNull();
    for (const res of [first, again]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(res.body).toBe(reference.body);
      expect(res.headers.etag).toBe(reference.etag);
    }
    const notModified = await get(id, client, { "if-none-match": reference.etag });
    expect(notModified.statusCode).toBe(304);
  });

  it("when /complete repeats the settled digest, then it answers the same bytes as GET", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    const device = await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "realface" });
    const complete = () =>
      stack.app.inject({ method: "POST", url: `/v1/sessions/${created.id}/complete`, headers: auth(), payload: { clientDigest: device.body.digest } });
    const first = await complete();
    const second = await complete();
    expect(second.body).toBe(first.body);
    expect((await get(created.id, "acme")).body).toBe(first.body);
    expect(first.body).toBe((await referenceOf(created.id, false)).body);
  });

  it("when a settled session is deleted, then a later read answers 404 rather than the cached view", async () => {
    const id = await settledSession("globex");
    expect((await get(id, "globex")).statusCode).toBe(200);
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${id}`, headers: auth("globex") })).statusCode).toBe(204);
    expect((await get(id, "globex")).statusCode).toBe(404);
  });
});

describe("SettledViewCache", () => {
  const v = { decidedAt: "2026-01-01T00:00:00.000Z", lastCheckedAt: 1, exposeScores: false };
  it("when it holds more than its bound, then the least recently read entry goes first", () => {
    const cache = new SettledViewCache(2);
    cache.set("a", v, { body: "A", etag: "a" });
    cache.set("b", v, { body: "B", etag: "b" });
    cache.get("a", v);
    cache.set("c", v, { body: "C", etag: "c" });
    expect([cache.get("a", v)?.body, cache.get("b", v)?.body, cache.get("c", v)?.body]).toEqual(["A", undefined, "C"]);
  });

  it("when an entry read recently is still in the newer half, then later sets push out the older entries, never it", () => {
    const cache = new SettledViewCache(4);
    for (const id of ["a", "b", "c", "d"]) cache.set(id, v, { body: id, etag: id });
    // "a" is the oldest: this read moves it to the newest end; "d" is in the newer half, so its read leaves it.
    cache.get("a", v);
    cache.get("d", v);
    cache.set("e", v, { body: "e", etag: "e" });
    cache.set("f", v, { body: "f", etag: "f" });
    expect(["a", "b", "c", "d", "e", "f"].map((id) => cache.get(id, v)?.body)).toEqual(["a", undefined, undefined, "d", "e", "f"]);
  });

  it("when the version differs, then the entry is a miss and is dropped", () => {
    const cache = new SettledViewCache();
    cache.set("a", v, { body: "A", etag: "a" });
    expect(cache.get("a", { ...v, lastCheckedAt: 2 })).toBeUndefined();
    expect(cache.size).toBe(0);
    for (const other of [{ ...v, decidedAt: null }, { ...v, exposeScores: true }]) {
      cache.set("b", v, { body: "B", etag: "b" });
      expect(cache.get("b", other)).toBeUndefined();
    }
    cache.set("c", v, { body: "C", etag: "c" });
    expect(cache.get("c", { ...v })?.body).toBe("C");
  });
});
