import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { errorCatalog } from "../../src/errors.js";
import type { FaceGateway } from "../../src/face/face-gateway.js";
import {
  BASE,
  ENDPOINT,
  SESSION_ID,
  faceError,
  faceHeaders,
  livenessSessionReply,
  makeGateway,
  slowly,
  verifyImage,
} from "./face-test-kit.js";

/**
 * Face's bad days, rehearsed for every operation: each case answers one call with a failure and checks the
 * AppError the gateway maps it to. `faceCode` reaches callers only for a rejected image (422); elsewhere it is
 * asserted absent, because Face's codes for our own problems (auth, throttling, 5xx) are for our logs.
 */

const createParams = { livenessOperationMode: "Passive", authTokenTimeToLiveInSeconds: 600, enableSessionImage: false } as const;

interface Op {
  name: string;
  method: "get" | "post" | "delete";
  path: string;
  call(gateway: FaceGateway): Promise<unknown>;
  /** What Face's 404 SessionNotFound means here: for a create, whose collection always exists, a wrong endpoint. */
  notFound: keyof typeof errorCatalog;
  isCreate?: boolean;
}

const ops: Op[] = [
  {
    name: "createLivenessSession",
    method: "post",
    path: "/detectLiveness-sessions",
    call: (g) => g.createLivenessSession(createParams),
    notFound: "LSO_ERR_UPSTREAM_MISCONFIGURED",
    isCreate: true,
  },
  {
    name: "createLivenessWithVerifySession",
    method: "post",
    path: "/detectLivenessWithVerify-sessions",
    call: (g) => g.createLivenessWithVerifySession({ ...createParams, verifyImage }),
    notFound: "LSO_ERR_UPSTREAM_MISCONFIGURED",
    isCreate: true,
  },
  {
    name: "getSession(liveness)",
    method: "get",
    path: `/detectLiveness-sessions/${SESSION_ID}`,
    call: (g) => g.getSession("liveness", SESSION_ID),
    notFound: "LSO_ERR_SESSION_NOT_FOUND",
  },
  {
    name: "getSession(livenessWithVerify)",
    method: "get",
    path: `/detectLivenessWithVerify-sessions/${SESSION_ID}`,
    call: (g) => g.getSession("livenessWithVerify", SESSION_ID),
    notFound: "LSO_ERR_SESSION_NOT_FOUND",
  },
  {
    name: "deleteSession(liveness)",
    method: "delete",
    path: `/detectLiveness-sessions/${SESSION_ID}`,
    call: (g) => g.deleteSession("liveness", SESSION_ID),
    notFound: "LSO_ERR_SESSION_NOT_FOUND",
  },
  {
    name: "deleteSession(livenessWithVerify)",
    method: "delete",
    path: `/detectLivenessWithVerify-sessions/${SESSION_ID}`,
    call: (g) => g.deleteSession("livenessWithVerify", SESSION_ID),
    notFound: "LSO_ERR_SESSION_NOT_FOUND",
  },
  {
    name: "getSessionImage",
    method: "get",
    path: "/sessionImages/img-1",
    call: (g) => g.getSessionImage("img-1"),
    notFound: "LSO_ERR_SESSION_IMAGE_NOT_FOUND",
  },
];

const intercept = (op: Op) => nock(ENDPOINT).intercept(`${BASE}${op.path}`, op.method.toUpperCase());

/** The ManualClock starts at 2026-01-01T00:00:00Z; this date is 12 s later. */
const HTTP_DATE_IN_12_S = "Thu, 01 Jan 2026 00:00:12 GMT";

interface BadDay {
  when: string;
  reply(op: Op): nock.Scope;
  expected(op: Op): Record<string, unknown>;
}

const badDays: BadDay[] = [
  {
    when: "Face answers 404 SessionNotFound",
    reply: (op) => intercept(op).reply(404, faceError("SessionNotFound", "Session ID is not found."), faceHeaders),
    expected: (op) => ({ code: op.notFound, statusCode: errorCatalog[op.notFound].status, faceCode: undefined }),
  },
  {
    when: "Azure's gateway answers 404 Resource not found (a wrong endpoint path or API version)",
    reply: (op) => intercept(op).reply(404, faceError("404", "Resource not found"), { ...faceHeaders, "x-ms-error-code": "404" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_MISCONFIGURED", statusCode: 502, upstreamStatus: 404, faceCode: undefined }),
  },
  {
    when: "another server answers 404 with an HTML page",
    reply: (op) => intercept(op).reply(404, "<html><body>Not Found</body></html>", { "content-type": "text/html" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_MISCONFIGURED", statusCode: 502 }),
  },
  {
    when: "Face answers 400 with a code other than InvalidImage",
    reply: (op) => intercept(op).reply(400, faceError("InvalidTokenLifetime", "Must be within 60 to 86400."), faceHeaders),
    expected: () => ({ code: "LSO_ERR_UPSTREAM", statusCode: 502, faceCode: undefined, message: errorCatalog.LSO_ERR_UPSTREAM.message }),
  },
  {
    when: "Face answers 401",
    reply: (op) => intercept(op).reply(401, faceError("401", "Access denied due to invalid subscription key."), faceHeaders),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_AUTH", statusCode: 502, faceCode: undefined }),
  },
  {
    when: "Face answers 403 UnsupportedFeature",
    reply: (op) => intercept(op).reply(403, faceError("UnsupportedFeature", "Feature is not supported."), faceHeaders),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_AUTH", statusCode: 502, faceCode: undefined }),
  },
  {
    when: "Face answers 429 with Retry-After in seconds",
    reply: (op) => intercept(op).reply(429, faceError("429", "Rate limit is exceeded."), { ...faceHeaders, "retry-after": "7" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", statusCode: 503, retryAfterSeconds: 7 }),
  },
  {
    when: "Face answers 429 with Retry-After as an HTTP date",
    reply: (op) => intercept(op).reply(429, faceError("429", "Rate limit is exceeded."), { ...faceHeaders, "retry-after": HTTP_DATE_IN_12_S }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 12 }),
  },
  {
    when: "Face answers 429 asking for an hour",
    reply: (op) => intercept(op).reply(429, faceError("429", "Rate limit is exceeded."), { ...faceHeaders, "retry-after": "3600" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 60 }),
  },
  {
    when: "Face answers 409 ConcurrentOperationConflict without Retry-After",
    reply: (op) => intercept(op).reply(409, faceError("ConcurrentOperationConflict", "There is a conflict operation."), faceHeaders),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", statusCode: 503, retryAfterSeconds: 1 }),
  },
  {
    when: "Face answers 500",
    reply: (op) => intercept(op).reply(500, faceError("InternalServerError", "stack trace at Face.Internal.Thing"), faceHeaders),
    expected: () => ({ code: "LSO_ERR_UPSTREAM", statusCode: 502, message: errorCatalog.LSO_ERR_UPSTREAM.message }),
  },
  {
    when: "Face answers 503",
    reply: (op) => intercept(op).reply(503, faceError("ServiceUnavailable", "Busy."), { ...faceHeaders, "retry-after": "2" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", statusCode: 503, retryAfterSeconds: 2 }),
  },
  {
    when: "Face answers 502 with an HTML page",
    reply: (op) => intercept(op).reply(502, "<html><body>Bad Gateway</body></html>", { "content-type": "text/html" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM", statusCode: 502 }),
  },
  {
    when: "Face answers 503 claiming JSON with a body that is not JSON",
    reply: (op) => intercept(op).reply(503, "{not json", { "content-type": "application/json", "x-ms-error-code": "ServiceUnavailable" }),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1 }),
  },
  {
    when: "the connection fails",
    reply: (op) => intercept(op).replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", statusCode: 503, retryAfterSeconds: 1 }),
  },
  {
    when: "the connection fails without a system code",
    reply: (op) => intercept(op).replyWithError("something broke"),
    expected: () => ({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1 }),
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe.each(ops)("$name", (op) => {
  it.each(badDays)("when $when, then it maps to our registry", async (day) => {
    const scope = day.reply(op);
    await expect(op.call(makeGateway().gateway)).rejects.toMatchObject({ name: "AppError", ...day.expected(op) });
    expect(scope.isDone()).toBe(true);
  });

  it("when Face does not answer within timeoutMs, then it fails with LSO_ERR_UPSTREAM_TIMEOUT", async () => {
    const scope = intercept(op).reply(200, slowly(1_000, livenessSessionReply()), faceHeaders);
    const started = Date.now();
    await expect(op.call(makeGateway({ timeoutMs: 50 }).gateway)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_TIMEOUT", statusCode: 504 });
    expect(Date.now() - started).toBeLessThan(900);
    expect(scope.isDone()).toBe(true);
  });

  it("when Face fails with 503, then the call is sent exactly once (no SDK retries)", async () => {
    let calls = 0;
    intercept(op)
      .times(5)
      .reply(503, () => {
        calls += 1;
        return faceError("ServiceUnavailable", "Busy.");
      }, { ...faceHeaders, "retry-after": "0" });
    await expect(op.call(makeGateway().gateway)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE" });
    expect(calls).toBe(1);
  });
});

describe.each(ops.filter((op) => op.isCreate))("$name is never repeated", (op) => {
  it.each([
    ["429", 429],
    ["500", 500],
    ["503", 503],
  ] as const)("when Face answers %s, then the create is sent exactly once", async (_label, status) => {
    let calls = 0;
    intercept(op)
      .times(5)
      .reply(status, () => {
        calls += 1;
        return faceError(String(status), "no");
      }, { ...faceHeaders, "retry-after": "0" });
    await expect(op.call(makeGateway().gateway)).rejects.toMatchObject({ name: "AppError" });
    expect(calls).toBe(1);
  });

  it("when the create times out, then it is sent exactly once", async () => {
    let calls = 0;
    intercept(op)
      .times(5)
      .reply(200, () => {
        calls += 1;
        return slowly(300, livenessSessionReply())();
      }, faceHeaders);
    await expect(op.call(makeGateway({ timeoutMs: 30 }).gateway)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_TIMEOUT" });
    await new Promise((resolve) => setTimeout(resolve, 400)); // long enough for any hidden retry to show up
    expect(calls).toBe(1);
  });
});

describe("createLivenessWithVerifySession: Face rejects the verify image", () => {
  it.each(["InvalidImage", "InvalidImageSize"])("when Face answers 400 %s, then it is LSO_ERR_FACE_INVALID_IMAGE with Face's message", async (faceCode) => {
    nock(ENDPOINT)
      .post(`${BASE}/detectLivenessWithVerify-sessions`)
      .reply(400, faceError(faceCode, "No face detected in the image."), faceHeaders);
    const failure = makeGateway().gateway.createLivenessWithVerifySession({ ...createParams, verifyImage });
    await expect(failure).rejects.toMatchObject({
      code: "LSO_ERR_FACE_INVALID_IMAGE",
      statusCode: 422,
      faceCode,
      message: "Azure AI Face rejected the image: No face detected in the image.",
    });
  });
});

describe("success replies we cannot use", () => {
  it("when a create answers 200 with a body missing authToken, then it is LSO_ERR_UPSTREAM", async () => {
    const { authToken: _drop, ...body } = livenessSessionReply();
    nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).reply(200, body, faceHeaders);
    await expect(makeGateway().gateway.createLivenessSession(createParams)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM", statusCode: 502 });
  });

  it("when a get answers 200 with a with-verify body lacking verifyReferences, then it is LSO_ERR_UPSTREAM", async () => {
    nock(ENDPOINT).get(`${BASE}/detectLivenessWithVerify-sessions/${SESSION_ID}`).reply(200, livenessSessionReply(), faceHeaders);
    await expect(makeGateway().gateway.getSession("livenessWithVerify", SESSION_ID)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
  });

  it("when a get answers 200 with text that is not JSON, then it is LSO_ERR_UPSTREAM", async () => {
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`).reply(200, "<html>hello</html>", { "content-type": "text/html" });
    await expect(makeGateway().gateway.getSession("liveness", SESSION_ID)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
  });

  it("when a get answers 200 claiming JSON with a broken body, then it is LSO_ERR_UPSTREAM", async () => {
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`).reply(200, '{"sessionId":', { "content-type": "application/json" });
    await expect(makeGateway().gateway.getSession("liveness", SESSION_ID)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
  });

  it("when a delete answers 202, then it is LSO_ERR_UPSTREAM", async () => {
    nock(ENDPOINT).delete(`${BASE}/detectLiveness-sessions/${SESSION_ID}`).reply(202);
    await expect(makeGateway().gateway.deleteSession("liveness", SESSION_ID)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
  });

  it("when the session image answers 200 with no bytes, then it is LSO_ERR_UPSTREAM", async () => {
    nock(ENDPOINT).get(`${BASE}/sessionImages/img-1`).reply(200, "", { "content-type": "application/octet-stream" });
    await expect(makeGateway().gateway.getSessionImage("img-1")).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
  });
});

describe("probe failures", () => {
  const probePath = `${BASE}/detectLiveness-sessions/00000000-0000-0000-0000-000000000000`;

  it.each([
    ["401", () => nock(ENDPOINT).get(probePath).reply(401, faceError("401", "Access denied."), faceHeaders), "LSO_ERR_UPSTREAM_AUTH"],
    ["403", () => nock(ENDPOINT).get(probePath).reply(403, faceError("UnsupportedFeature", "No."), faceHeaders), "LSO_ERR_UPSTREAM_AUTH"],
    ["404 with another code (not Face)", () => nock(ENDPOINT).get(probePath).reply(404, faceError("ResourceNotFound", "?")), "LSO_ERR_UPSTREAM"],
    ["404 with an empty body", () => nock(ENDPOINT).get(probePath).reply(404), "LSO_ERR_UPSTREAM_MISCONFIGURED"],
    ["404 Resource not found (Azure's gateway)", () => nock(ENDPOINT).get(probePath).reply(404, faceError("404", "Resource not found")), "LSO_ERR_UPSTREAM_MISCONFIGURED"],
    ["200", () => nock(ENDPOINT).get(probePath).reply(200, livenessSessionReply(), faceHeaders), "LSO_ERR_UPSTREAM"],
    ["429", () => nock(ENDPOINT).get(probePath).reply(429, faceError("429", "Slow down."), faceHeaders), "LSO_ERR_UPSTREAM_UNAVAILABLE"],
    ["a connection error", () => nock(ENDPOINT).get(probePath).replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), "LSO_ERR_UPSTREAM_UNAVAILABLE"],
  ] as const)("when Face answers %s, then the probe throws the mapped error", async (_label, reply, code) => {
    const scope = reply();
    await expect(makeGateway().gateway.probe()).rejects.toMatchObject({ code });
    expect(scope.isDone()).toBe(true);
  });

  it("when Face does not answer in time, then the probe throws LSO_ERR_UPSTREAM_TIMEOUT", async () => {
    nock(ENDPOINT).get(probePath).reply(404, slowly(500, faceError("SessionNotFound", "x")), faceHeaders);
    await expect(makeGateway({ timeoutMs: 30 }).gateway.probe()).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_TIMEOUT" });
  });
});
