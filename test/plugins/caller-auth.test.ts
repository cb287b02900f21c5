import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyRing } from "../../src/credentials/api-key-ring.js";
import { auth, CLIENTS, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());

const routes = (id: string) =>
  [
    ["POST", "/v1/sessions"],
    ["GET", `/v1/sessions/${id}`],
    ["DELETE", `/v1/sessions/${id}`],
    ["GET", `/v1/sessions/${id}/image`],
  ] as const;

describe("caller authentication", () => {
  const id = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

  it.each([
    ["no key", {}],
    ["an empty key", { "x-api-key": "" }],
    ["a wrong key", { "x-api-key": "wrong-key-0123456789abcdef" }],
    ["a key with a different case", { "x-api-key": CLIENTS.acme.key.toUpperCase() }],
    ["the key in another header", { authorization: `Bearer ${CLIENTS.acme.key}` }],
  ])("when a request has %s, then every /v1 route answers 401 and says nothing else", async (_name, headers) => {
    for (const [method, url] of routes(id)) {
      const res = await stack.app.inject({ method, url, headers, payload: method === "POST" ? { kind: "liveness" } : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json()).toEqual({ error: { code: "LSO_ERR_UNAUTHORIZED", message: expect.any(String), requestId: res.headers["x-request-id"] } });
    }
  });

  it("when the x-api-key header is repeated, then 401", async () => {
    const res = await stack.app.inject({
      method: "GET",
      url: `/v1/sessions/${id}`,
      headers: { "x-api-key": [CLIENTS.acme.key, CLIENTS.acme.key] as unknown as string },
    });
    expect(res.statusCode).toBe(401);
  });

  it("when an unauthenticated create is refused, then Face is never called", async () => {
    const before = stack.emulator.state.requestCount("createLivenessSession");
    await stack.app.inject({ method: "POST", url: "/v1/sessions", payload: { kind: "liveness" } });
    expect(stack.emulator.state.requestCount("createLivenessSession")).toBe(before);
  });

  it("when health and readiness are probed, then no key is needed", async () => {
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await stack.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });
});

describe("tenant isolation matrix: every session route × own session / another client's session / unknown id", () => {
  const unknownId = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f";
  const routes = [
    ["GET", ""],
    ["GET", "/image"],
    ["DELETE", ""],
  ] as const;
  // An own session answers what the route does for it; the other two cases must be indistinguishable 404s.
  const ownStatus: Record<string, number> = { "GET ": 200, "GET /image": 200, "DELETE ": 204 };

  for (const [method, suffix] of routes) {
    for (const whose of ["own", "other client's", "unknown"] as const) {
      it(`when ${method} /v1/sessions/{id}${suffix} is asked for an ${whose} session, then ${whose === "own" ? ownStatus[`${method} ${suffix}`] : 404}`, async () => {
        const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
        await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.authToken, { livenessDecision: "realface" });
        const id = whose === "unknown" ? unknownId : created.id;
        const client = whose === "other client's" ? "globex" : "acme";
        const res = await stack.app.inject({ method, url: `/v1/sessions/${id}${suffix}`, headers: auth(client) });
        if (whose === "own") {
          expect(res.statusCode).toBe(ownStatus[`${method} ${suffix}`]);
        } else {
          expect(res.statusCode).toBe(404);
          expect(res.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
          // The owner's session is untouched by the other client's attempt.
          expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}`, headers: auth("acme") })).statusCode).toBe(200);
        }
      });
    }
  }
});

describe("tenant isolation", () => {
  it("when another client touches a session, then every route answers 404 exactly as for an unknown id, and nothing changes", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    const unknown = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f";
    for (const [method, suffix] of [["GET", ""], ["DELETE", ""], ["GET", "/image"]] as const) {
      const foreign = await stack.app.inject({ method, url: `/v1/sessions/${created.id}${suffix}`, headers: auth("globex") });
      const missing = await stack.app.inject({ method, url: `/v1/sessions/${unknown}${suffix}`, headers: auth("globex") });
      expect(foreign.statusCode, `${method} ${suffix}`).toBe(404);
      expect(foreign.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
      expect({ ...foreign.json().error, requestId: "" }).toEqual({ ...missing.json().error, requestId: "" });
    }
    const own = await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}`, headers: auth("acme") });
    expect(own.statusCode).toBe(200);
    expect(stack.emulator.state.findSession(created.id, "liveness", Date.now())).toBeDefined();
  });

  it("when another client's request is refused, then Face was not asked about the session", async () => {
    const created = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d" })).json();
    const before = stack.emulator.state.requestCount("getLivenessSession");
    await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}`, headers: auth("globex") });
    expect(stack.emulator.state.requestCount("getLivenessSession")).toBe(before);
  });
});

describe("ApiKeyRing", () => {
  it("when keys are replaced, then old keys stop working and new ones start at once", () => {
    const ring = new ApiKeyRing([{ clientId: "a", key: "old-key-0123456789abc" }]);
    expect(ring.verify("old-key-0123456789abc")).toBe("a");
    ring.replace([
      { clientId: "a", key: "new-key-0123456789abc" },
      { clientId: "b", key: "b-key-0123456789abcdef" },
    ]);
    expect(ring.verify("old-key-0123456789abc")).toBeUndefined();
    expect(ring.verify("new-key-0123456789abc")).toBe("a");
    expect(ring.verify("b-key-0123456789abcdef")).toBe("b");
    expect(ring.size).toBe(2);
  });

  it("when a client holds a key and a SHA-256 entry (rotating), then both verify, and near misses of either do not", () => {
    const hashed = createHash("sha256").update("vault-key-0123456789abc").digest("hex").toUpperCase();
    const ring = new ApiKeyRing([
      { clientId: "a", key: "plain-key-0123456789abc" },
      { clientId: "a", sha256: hashed },
    ]);
    expect(["plain-key-0123456789abc", "vault-key-0123456789abc"].map((key) => ring.verify(key))).toEqual(["a", "a"]);
    expect(["plain-key-0123456789ab", "vault-key-0123456789abd", hashed, ""].map((key) => ring.verify(key))).toEqual([undefined, undefined, undefined, undefined]);
  });
});
