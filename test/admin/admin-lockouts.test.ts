/** The /admin lockout routes: operator auth kept apart from tenant auth, status, clear (with audit), validation. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { auth, CLIENTS, startStack, type TestStack } from "../helpers/app-harness.js";
import { failTimes, faceCreates, tryCreate, unique } from "../lockout/lockout-kit.js";

const OPERATOR_KEY = "ops-admin-key-0123456789abcdef";
const clock = new ManualClock(Date.now());
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ ADMIN_API_KEYS: `ops:${OPERATOR_KEY}`, FACE_MAX_TPS: "1000" }, { clock });
});
afterAll(async () => stack.close());

const admin = (method: "GET" | "DELETE", url: string, headers: Record<string, string> = { "x-admin-key": OPERATOR_KEY }) =>
  stack.app.inject({ method, url, headers });
const lockoutUrl = (query: string, clientId = "acme") => `/admin/lockouts/${clientId}?${query}`;

describe("GET /admin/lockouts/{clientId}", () => {
  it("when nothing failed, then the status is unlocked with no failures", async () => {
    const res = await admin("GET", lockoutUrl("subject=nobody"));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ clientId: "acme", subject: "nobody", locked: false, lockedUntil: null, retryAfterSeconds: null, recentFailures: 0 });
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("when a subject has failures and then is locked, then the status shows the count, then the lock and its end", async () => {
    const subject = unique("subject");
    await failTimes(stack, 2, { subject });
    expect((await admin("GET", lockoutUrl(`subject=${subject}`))).json()).toMatchObject({ locked: false, recentFailures: 2 });
    await failTimes(stack, 3, { subject });
    clock.advance(10_000);
    expect((await admin("GET", lockoutUrl(`subject=${subject}`))).json()).toEqual({
      clientId: "acme",
      subject,
      locked: true,
      lockedUntil: new Date(clock.now() - 10_000 + 1_800_000).toISOString(),
      retryAfterSeconds: 1790,
      recentFailures: 0,
    });
  });
});

describe("DELETE /admin/lockouts/{clientId}", () => {
  it("when an operator clears a locked device, then 204, new sessions are accepted, and an audit line names the operator", async () => {
    const device = unique("device");
    await failTimes(stack, 5, { deviceCorrelationId: device });
    expect((await tryCreate(stack, { deviceCorrelationId: device })).statusCode).toBe(429);
    const res = await admin("DELETE", lockoutUrl(`deviceCorrelationId=${device}`));
    expect(res.statusCode).toBe(204);
    const before = faceCreates(stack);
    expect((await tryCreate(stack, { deviceCorrelationId: device })).statusCode).toBe(201);
    expect(faceCreates(stack)).toBe(before + 1);
    const audit = stack.logs.records().find((r) => r.audit === "lockout.clear" && r.deviceCorrelationId === device);
    expect(audit).toMatchObject({ operatorId: "ops", clientId: "acme", cleared: true, msg: "operator cleared a lockout" });
    expect(stack.logs.text).not.toContain(OPERATOR_KEY);
  });

  it("when there is nothing to clear, then 404 LSO_ERR_LOCKOUT_NOT_FOUND, and the attempt is still audited", async () => {
    const subject = unique("subject");
    const res = await admin("DELETE", lockoutUrl(`subject=${subject}`));
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("LSO_ERR_LOCKOUT_NOT_FOUND");
    expect(stack.logs.records().find((r) => r.audit === "lockout.clear" && r.subject === subject)).toMatchObject({ cleared: false, operatorId: "ops" });
  });

  it("when only another client's subject is locked, then clearing this client's finds nothing and leaves that lock", async () => {
    const subject = unique("subject");
    await failTimes(stack, 5, { subject }, "globex");
    expect((await admin("DELETE", lockoutUrl(`subject=${subject}`, "acme"))).statusCode).toBe(404);
    expect((await tryCreate(stack, { subject }, "globex")).statusCode).toBe(429);
  });
});

describe("/admin authentication", () => {
  it.each([
    ["no key", {}],
    ["a wrong key", { "x-admin-key": `${OPERATOR_KEY}x` }],
    ["a tenant key as admin key", { "x-admin-key": CLIENTS.acme.key }],
    ["a tenant key as x-api-key", auth()],
  ])("when the request carries %s, then 401 LSO_ERR_UNAUTHORIZED in the envelope", async (_name, headers) => {
    for (const method of ["GET", "DELETE"] as const) {
      const res = await admin(method, lockoutUrl("subject=s"), headers as Record<string, string>);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toMatchObject({ code: "LSO_ERR_UNAUTHORIZED", message: "A valid admin key is required in the x-admin-key header." });
      expect(res.json().error.requestId).toBeTruthy();
    }
  });

  it("when the admin key is used on /v1, then it is refused there", async () => {
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { "x-api-key": OPERATOR_KEY }, payload: { kind: "liveness" } });
    expect(res.statusCode).toBe(401);
  });
});

describe("/admin validation", () => {
  it.each([
    ["neither subject nor device", "", "querystring"],
    ["both subject and device", "subject=a&deviceCorrelationId=b", "querystring"],
    ["an unknown parameter", "subject=a&extra=1", "querystring"],
    ["a subject sent twice", "subject=a&subject=b", "querystring.subject"],
    ["an over-long device id", `deviceCorrelationId=${"d".repeat(65)}`, "querystring.deviceCorrelationId"],
    ["a NUL in the subject", "subject=a%00b", "querystring.subject"],
    ["a right-to-left override in the device id", "deviceCorrelationId=a%E2%80%AEb", "querystring.deviceCorrelationId"],
    ["an escape sequence in the subject", "subject=%1B%5B31mred", "querystring.subject"],
  ])("when the query has %s, then 400 LSO_ERR_VALIDATION naming it", async (_name, query, path) => {
    const res = await admin("GET", lockoutUrl(query));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("LSO_ERR_VALIDATION");
    expect(res.json().error.fields.map((f: { path: string }) => f.path)).toContain(path);
  });

  it("when the clientId is not one, then 400 naming params.clientId", async () => {
    const res = await admin("DELETE", "/admin/lockouts/bad%20client?subject=a");
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields[0].path).toBe("params.clientId");
  });
});

describe("/admin without ADMIN_API_KEYS", () => {
  let plain: TestStack;
  beforeAll(async () => {
    plain = await startStack();
  });
  afterAll(async () => plain.close());

  it("when ADMIN_API_KEYS is unset, then every /admin request answers 404 LSO_ERR_ROUTE_NOT_FOUND, whatever the key", async () => {
    for (const headers of [{}, { "x-admin-key": OPERATOR_KEY }, auth()]) {
      const res = await plain.app.inject({ method: "DELETE", url: "/admin/lockouts/acme?subject=s", headers });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("LSO_ERR_ROUTE_NOT_FOUND");
    }
  });
});
