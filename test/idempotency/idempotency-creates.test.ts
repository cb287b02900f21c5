/** Idempotent create (issue 5 §4) through the real app, gateway and emulator: what a retrying client sees. */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { rawMultipart } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ LOG_LEVEL: "trace" });
});
afterAll(async () => stack.close());
afterEach(() => stack.emulator.state.faults.clear());

let counter = 0;
const freshKey = () => `key-${Date.now()}-${(counter += 1)}`;
const faceCreates = () =>
  stack.emulator.state.requestCount("createLivenessSession") + stack.emulator.state.requestCount("createLivenessWithVerifySession");

function createWithKey(key: string | string[], body: Record<string, unknown>, client: "acme" | "globex" = "acme") {
  return stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(client), "idempotency-key": key }, payload: body });
}

const replayed = (res: LightMyRequestResponse) => res.headers["idempotent-replayed"];

describe("POST /v1/sessions with Idempotency-Key", () => {
  it("when the same key and parameters are sent again, then the original 201 comes back, token included, and Face is not called again", async () => {
    const key = freshKey();
    const body = { kind: "liveness", deviceCorrelationId: "d-1", subject: "user-1", authTokenTtlSeconds: 300 };
    const first = await createWithKey(key, body);
    const before = faceCreates();
    const second = await createWithKey(key, body);
    expect(first.statusCode).toBe(201);
    expect(replayed(first)).toBeUndefined();
    expect(second.statusCode).toBe(201);
    expect(replayed(second)).toBe("true");
    expect(second.json()).toEqual(first.json());
    expect(second.json().authToken).toBe(first.json().authToken);
    expect(faceCreates()).toBe(before);
  });

  it("when the replay is logged at trace level, then the auth token is in no log line", async () => {
    const key = freshKey();
    const first = (await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" })).json();
    expect(replayed(await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" }))).toBe("true");
    expect(stack.logs.text).toContain("idempotent create replayed");
    expect(stack.logs.text).not.toContain(first.authToken);
  });

  it("when the session is deleted, then a retry with its key answers 404 without its token and creates no new session", async () => {
    const key = freshKey();
    const body = { kind: "liveness", deviceCorrelationId: "d-del" };
    const first = await createWithKey(key, body);
    expect(first.statusCode).toBe(201);
    const deleted = await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${first.json().id}`, headers: auth() });
    expect(deleted.statusCode).toBe(204);
    const before = faceCreates();
    const retry = await createWithKey(key, body);
    expect(retry.statusCode).toBe(404);
    expect(retry.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
    expect(retry.body).not.toContain(first.json().authToken);
    expect(faceCreates()).toBe(before);
  });

  it("when the same key comes with different parameters, then 422 LSO_ERR_IDEMPOTENCY_MISMATCH and Face is not called", async () => {
    const key = freshKey();
    expect((await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d-1" })).statusCode).toBe(201);
    const before = faceCreates();
    const res = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d-2" });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe("LSO_ERR_IDEMPOTENCY_MISMATCH");
    expect(faceCreates()).toBe(before);
  });

  it("when a request with different parameters reuses a key still in flight, then it gets 422 at once, without waiting", async () => {
    const key = freshKey();
    stack.emulator.state.faults.set([{ fault: "latency", ms: 300, count: 1, operations: ["createLivenessSession"] }]);
    const first = createWithKey(key, { kind: "liveness", deviceCorrelationId: "d-1" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const other = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d-2" });
    expect(other.json().error.code).toBe("LSO_ERR_IDEMPOTENCY_MISMATCH");
    expect(Date.now() - started).toBeLessThan(200);
    expect((await first).statusCode).toBe(201);
  });

  it("when a multipart create carries a malformed key, then 400 names the header and the request completes", async () => {
    const form = rawMultipart([{ name: "kind", value: "liveness" }]);
    const res = await stack.app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { ...auth(), "content-type": form.contentType, "idempotency-key": "bad key" },
      payload: form.body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields[0].path).toBe("headers.idempotency-key");
  });

  it("when the verify image differs by one byte, then it is a mismatch", async () => {
    const key = freshKey();
    const image = makeTestJpeg({ minBytes: 4096 });
    const other = Buffer.from(image);
    other[other.length - 10] = (other[other.length - 10]! + 1) % 256;
    expect((await createWithKey(key, { kind: "livenessWithVerify", verifyImage: image.toString("base64") })).statusCode).toBe(201);
    const res = await createWithKey(key, { kind: "livenessWithVerify", verifyImage: other.toString("base64") });
    expect(res.json().error.code).toBe("LSO_ERR_IDEMPOTENCY_MISMATCH");
  });

  it("when the same input arrives as JSON (keys reordered, defaults spelled out) and then as multipart, then it is a replay", async () => {
    const key = freshKey();
    const image = makeTestJpeg({ minBytes: 4096 });
    const json = await createWithKey(key, {
      verifyImage: image.toString("base64"),
      verifyConfidenceThreshold: 0.7,
      livenessOperationMode: "PassiveActive",
      kind: "livenessWithVerify",
      deviceCorrelationId: "d-9",
    });
    expect(json.statusCode).toBe(201);
    const form = rawMultipart([
      { name: "deviceCorrelationId", value: "d-9" },
      { name: "kind", value: "livenessWithVerify" },
      { name: "verifyConfidenceThreshold", value: "0.70" },
      { name: "enableSessionImage", value: "false" },
      { name: "verifyImage", value: image, filename: "me.jpg", contentType: "image/jpeg" },
    ]);
    const multipart = await stack.app.inject({
      method: "POST",
      url: "/v1/sessions",
      headers: { ...auth(), "content-type": form.contentType, "idempotency-key": key },
      payload: form.body,
    });
    expect(multipart.statusCode).toBe(201);
    expect(replayed(multipart)).toBe("true");
    expect(multipart.json().id).toBe(json.json().id);
  });

  it("when many duplicates arrive at once, then exactly one session is created and all get its response", async () => {
    const key = freshKey();
    const before = faceCreates();
    const responses = await Promise.all(Array.from({ length: 25 }, () => createWithKey(key, { kind: "liveness", deviceCorrelationId: "d-par" })));
    expect(faceCreates() - before).toBe(1);
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([201]));
    expect(new Set(responses.map((r) => r.json().authToken)).size).toBe(1);
    expect(responses.filter((r) => replayed(r) === undefined)).toHaveLength(1);
  });

  it("when two clients send the same key, then each gets its own session", async () => {
    const key = freshKey();
    const before = faceCreates();
    const acme = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" }, "acme");
    const globex = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" }, "globex");
    expect([acme.statusCode, globex.statusCode]).toEqual([201, 201]);
    expect(replayed(globex)).toBeUndefined();
    expect(globex.json().id).not.toBe(acme.json().id);
    expect(faceCreates() - before).toBe(2);
  });

  it("when the first request fails at Face, then the key is released and a retry creates the session", async () => {
    const key = freshKey();
    stack.emulator.state.faults.set([{ fault: "500", count: 1, operations: ["createLivenessSession"] }]);
    const failed = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" });
    expect(failed.statusCode).toBe(502);
    const retry = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" });
    expect(retry.statusCode).toBe(201);
    expect(replayed(retry)).toBeUndefined();
  });

  it("when the first request fails while duplicates wait, then one waiter becomes the first attempt and the rest replay it", async () => {
    const key = freshKey();
    // The first create is slow and then fails, so the duplicates are certainly waiting when it does.
    stack.emulator.state.faults.set([
      { fault: "latency", ms: 150, count: 1, operations: ["createLivenessSession"] },
      { fault: "500", count: 1, operations: ["createLivenessSession"] },
    ]);
    const before = faceCreates();
    const responses = await Promise.all(Array.from({ length: 6 }, () => createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" })));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 201, 201, 201, 201, 502]);
    const created = responses.filter((r) => r.statusCode === 201);
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1);
    expect(created.filter((r) => replayed(r) === undefined)).toHaveLength(1);
    expect(faceCreates() - before).toBe(2);
  });

  it("when the request is refused before Face (policy, bad image), then the key is free for a corrected request", async () => {
    const key = freshKey();
    const bad = await createWithKey(key, { kind: "livenessWithVerify", verifyImage: makeTestJpeg().subarray(0, 900).toString("base64") });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe("LSO_ERR_IMAGE_TOO_SMALL");
    const good = await createWithKey(key, { kind: "livenessWithVerify", verifyImage: makeTestJpeg({ minBytes: 4096 }).toString("base64") });
    expect(good.statusCode).toBe(201);
  });

  it.each([
    ["empty", ""],
    ["too long", "k".repeat(256)],
    ["with a space", "two words"],
    ["with a control character", "key\tkey"],
    ["sent twice", ["same-key", "same-key"]],
  ])("when the key is %s, then 400 LSO_ERR_VALIDATION names headers.idempotency-key and Face is not called", async (_name, key) => {
    const before = faceCreates();
    const res = await createWithKey(key, { kind: "liveness", deviceCorrelationId: "d" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("LSO_ERR_VALIDATION");
    expect(res.json().error.fields.map((f: { path: string }) => f.path)).toEqual(["headers.idempotency-key"]);
    expect(faceCreates()).toBe(before);
  });

  it("when the key is 255 visible characters, then it is accepted", async () => {
    const res = await createWithKey(`${"~".repeat(200)}${freshKey()}`.slice(-255), { kind: "liveness", deviceCorrelationId: "d" });
    expect(res.statusCode).toBe(201);
  });

  it("when no key is sent, then every create is a new session", async () => {
    const a = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" });
    const b = await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" });
    expect(a.json().id).not.toBe(b.json().id);
    expect(replayed(b)).toBeUndefined();
  });
});

describe("Idempotency-Key retention", () => {
  const clock = new ManualClock(Date.now());
  let timed: TestStack;
  beforeAll(async () => {
    timed = await startStack({}, { clock });
  });
  afterAll(async () => timed.close());

  const send = (key: string) =>
    timed.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "idempotency-key": key }, payload: { kind: "liveness" } });

  it("when 24 hours have passed, then the key is forgotten and a new session is created", async () => {
    const first = await send("retained-key");
    clock.advance(24 * 60 * 60 * 1000 - 1000);
    const within = await send("retained-key");
    expect(replayed(within)).toBe("true");
    expect(within.json().id).toBe(first.json().id);
    clock.advance(1000);
    const after = await send("retained-key");
    expect(after.statusCode).toBe(201);
    expect(replayed(after)).toBeUndefined();
    expect(after.json().id).not.toBe(first.json().id);
  });
});
