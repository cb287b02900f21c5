/** Per-client policies: what each client may create, from CLIENT_POLICIES or from the Key Vault key list. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyBook, defaultPolicy } from "../../src/lib/caller-policy.js";
import type { ConfigError } from "../../src/config.js";
import { loadConfig } from "../../src/config.js";
import { parseCallerDirectory } from "../../src/credentials/caller-directory.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

const policies = JSON.stringify({
  acme: { allowedKinds: ["liveness"], maxTokenTtlSeconds: 300, sessionImages: false },
  "*": { maxTokenTtlSeconds: 900 },
});

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ CLIENT_POLICIES: policies });
});
afterAll(async () => stack.close());

describe("policy enforcement on create", () => {
  it("when a client asks for a kind its policy does not allow, then 403 and Face is not called", async () => {
    const before = stack.emulator.state.requestCount("createLivenessWithVerifySession");
    const res = await createSession(stack.app, { kind: "livenessWithVerify", verifyImage: makeTestJpeg().toString("base64") }, "acme");
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_FORBIDDEN", message: "This client may not create livenessWithVerify sessions." });
    expect(stack.emulator.state.requestCount("createLivenessWithVerifySession")).toBe(before);
  });

  it("when a client asks for a longer token than its policy allows, then 400 names the field and the limit", async () => {
    const res = await createSession(stack.app, { kind: "liveness", authTokenTtlSeconds: 301 }, "acme");
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields).toEqual([{ path: "body.authTokenTtlSeconds", message: "must be at most 300 for this client" }]);
  });

  it("when a client that may not keep images asks for one, then 403", async () => {
    const res = await createSession(stack.app, { kind: "liveness", enableSessionImage: true }, "acme");
    expect(res.statusCode).toBe(403);
  });

  it("when a client has no entry, then the * entry applies, and what it allows works", async () => {
    expect((await createSession(stack.app, { kind: "liveness", authTokenTtlSeconds: 901 }, "globex")).statusCode).toBe(400);
    const ok = await createSession(stack.app, { kind: "livenessWithVerify", authTokenTtlSeconds: 900, verifyImage: makeTestJpeg().toString("base64") }, "globex");
    expect(ok.statusCode).toBe(201);
    expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${ok.json().id}`, headers: auth("globex") })).statusCode).toBe(200);
  });
});

describe("faceQuotaWeight", () => {
  it("when two clients' creates wait for Face's quota, then the one of weight 3 gets three through for each of the other's", async () => {
    // 2 calls a second and room to wait: the twelve creates below queue behind the first one, and Face (the
    // emulator) records the order they were let through.
    const weighted = await startStack({ FACE_MAX_TPS: "2", FACE_MAX_WAIT_MS: "10000", CLIENT_POLICIES: JSON.stringify({ acme: { faceQuotaWeight: 3 } }) });
    try {
      const create = (client: "acme" | "globex", n: number) => createSession(weighted.app, { kind: "liveness", deviceCorrelationId: `${client}-${n}` }, client);
      const first = create("acme", 0);
      const queued = Array.from({ length: 6 }, (_, i) => [create("acme", i + 1), create("globex", i + 1)]).flat();
      const statuses = (await Promise.all([first, ...queued])).map((res) => res.statusCode);
      expect(statuses).toEqual(Array.from({ length: 13 }, () => 201));
      const order = weighted.emulator.state.liveSessions(Date.now()).map((s) => s.deviceCorrelationId!.split("-")[0]);
      expect(order).toHaveLength(13);
      // After the first: turns of three acme creates and one globex create, whichever client's turn came first.
      expect(order.slice(1, 9).filter((client) => client === "acme")).toHaveLength(6);
    } finally {
      await weighted.close();
    }
  });

  it("when a policy gives a weight outside 1 to 100, then startup names the field", () => {
    for (const weight of [0, 101, 1.5]) {
      try {
        loadConfig({ CLIENT_POLICIES: JSON.stringify({ acme: { faceQuotaWeight: weight } }) });
        throw new Error("expected a ConfigError");
      } catch (error) {
        expect((error as ConfigError).problems.join()).toMatch(/^CLIENT_POLICIES.*faceQuotaWeight/);
      }
    }
    expect(defaultPolicy.faceQuotaWeight).toBe(1);
  });
});

describe("policy sources", () => {
  it("when CLIENT_POLICIES is not JSON or has an unknown field, then startup names it", () => {
    for (const value of ["{not json", JSON.stringify({ acme: { allowedKind: ["liveness"] } }), JSON.stringify({ "bad id!": {} })]) {
      try {
        loadConfig({ CLIENT_POLICIES: value });
        throw new Error("expected a ConfigError");
      } catch (error) {
        expect((error as ConfigError).problems.join()).toMatch(/^CLIENT_POLICIES/);
      }
    }
  });

  it("when the Key Vault key list is JSON, then keys and policies come from it together", () => {
    const { directory, problems } = parseCallerDirectory(
      JSON.stringify({ clients: { acme: { keys: ["acme-key-0123456789abcdef", `sha256:${"b".repeat(64)}`], policy: { allowedKinds: ["liveness"] } } } }),
    );
    expect(problems).toEqual([]);
    expect(directory.keys).toEqual([
      { clientId: "acme", key: "acme-key-0123456789abcdef" },
      { clientId: "acme", sha256: "b".repeat(64) },
    ]);
    expect(directory.policies.acme?.allowedKinds).toEqual(["liveness"]);
  });

  it("when the JSON key list is malformed, then the problems name paths, never key values", () => {
    const badPolicy = parseCallerDirectory(JSON.stringify({ clients: { acme: { keys: ["long-enough-secret-0123"], policy: { rateLimitPerMinute: 0 } } } }));
    expect(badPolicy.problems.join()).toMatch(/clients\.acme\.policy\.rateLimitPerMinute/);
    const badKey = parseCallerDirectory(JSON.stringify({ clients: { acme: { keys: ["short-secret"] } } }));
    expect(badKey.problems.join()).toMatch(/entry 1 \(acme\): the key must be at least 16/);
    for (const { problems } of [badPolicy, badKey]) expect(problems.join()).not.toMatch(/short-secret|long-enough-secret/);
  });

  it("when a policy book is replaced, then lookups see the new set at once", () => {
    const book = new PolicyBook({ acme: { ...defaultPolicy, rateLimitPerMinute: 5 } });
    expect(book.of("acme").rateLimitPerMinute).toBe(5);
    expect(book.of("other")).toEqual(defaultPolicy);
    book.replace({ "*": { ...defaultPolicy, rateLimitPerMinute: 7 } });
    expect(book.of("acme").rateLimitPerMinute).toBe(7);
  });
});
