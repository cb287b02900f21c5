import { gzipSync } from "node:zlib";

import type { AccessToken, TokenCredential } from "@azure/core-auth";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import {
  APIM_ID,
  AUTH_TOKEN,
  BASE,
  ENDPOINT,
  FACE_KEY,
  SESSION_ID,
  faceError,
  faceHeaders,
  imageBytes,
  livenessSessionReply,
  makeGateway,
  parseMultipart,
  seen,
  verifyImage,
  verifySessionReply,
  type SeenRequest,
} from "./face-test-kit.js";

const createParams = { livenessOperationMode: "PassiveActive", authTokenTimeToLiveInSeconds: 120, enableSessionImage: true } as const;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("createLivenessSession", () => {
  it("when a device correlation id is given, then it POSTs JSON with the key and returns the normalised session", async () => {
    let request: SeenRequest | undefined;
    const scope = nock(ENDPOINT)
      .post(`${BASE}/detectLiveness-sessions`)
      .reply(200, async (req) => {
        request = await seen(req);
        return livenessSessionReply();
      }, faceHeaders);
    const { gateway } = makeGateway();

    const reply = await gateway.createLivenessSession({ ...createParams, deviceCorrelationId: "device-1" });

    expect(scope.isDone()).toBe(true);
    expect(request?.headers.get("ocp-apim-subscription-key")).toBe(FACE_KEY);
    expect(request?.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(request?.body.toString("utf8") ?? "")).toEqual({
      livenessOperationMode: "PassiveActive",
      deviceCorrelationId: "device-1",
      enableSessionImage: true,
      authTokenTimeToLiveInSeconds: 120,
    });
    expect(reply).toEqual({
      requestId: APIM_ID,
      value: {
        sessionId: SESSION_ID,
        kind: "liveness",
        authToken: AUTH_TOKEN,
        status: "NotStarted",
        modelVersion: "2024-11-15",
        attempts: [],
      },
    });
  });

  it("when no device correlation id is given, then it sends deviceCorrelationIdSetInClient and no id", async () => {
    let body: unknown;
    const scope = nock(ENDPOINT)
      .post(`${BASE}/detectLiveness-sessions`)
      .reply(200, async (req) => {
        body = await req.json();
        return livenessSessionReply();
      }, faceHeaders);

    await makeGateway().gateway.createLivenessSession(createParams);

    expect(scope.isDone()).toBe(true);
    expect(body).toEqual({
      livenessOperationMode: "PassiveActive",
      deviceCorrelationIdSetInClient: true,
      enableSessionImage: true,
      authTokenTimeToLiveInSeconds: 120,
    });
  });

  it("when the endpoint has a trailing slash, then the path still has a single slash before face/", async () => {
    const scope = nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).reply(200, livenessSessionReply(), faceHeaders);
    await makeGateway({ endpoint: `${ENDPOINT}/` }).gateway.createLivenessSession(createParams);
    expect(scope.isDone()).toBe(true);
  });

  it("when the credential is a TokenCredential, then it sends a bearer token for the Cognitive Services scope", async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope): Promise<AccessToken> => {
        scopes.push(...[scope].flat());
        return { token: "entra-token-abc", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const scope = nock(ENDPOINT, { reqheaders: { authorization: "Bearer entra-token-abc" } })
      .post(`${BASE}/detectLiveness-sessions`)
      .reply(200, livenessSessionReply(), faceHeaders);

    await makeGateway({ credential }).gateway.createLivenessSession(createParams);

    expect(scope.isDone()).toBe(true);
    expect(scopes).toEqual(["https://cognitiveservices.azure.com/.default"]);
  });
});

describe("createLivenessWithVerifySession", () => {
  it("when only required fields are given, then it sends multipart with a named verifyImage part and no optional parts", async () => {
    let request: SeenRequest | undefined;
    const scope = nock(ENDPOINT)
      .post(`${BASE}/detectLivenessWithVerify-sessions`)
      .reply(200, async (req) => {
        request = await seen(req);
        return verifySessionReply();
      }, faceHeaders);

    const reply = await makeGateway().gateway.createLivenessWithVerifySession({ ...createParams, verifyImage });

    expect(scope.isDone()).toBe(true);
    expect(request?.headers.get("ocp-apim-subscription-key")).toBe(FACE_KEY);
    const contentType = request?.headers.get("content-type") ?? "";
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const parts = parseMultipart(contentType, request?.body ?? Buffer.alloc(0));
    expect([...parts.keys()].sort()).toEqual(
      ["authTokenTimeToLiveInSeconds", "deviceCorrelationIdSetInClient", "enableSessionImage", "livenessOperationMode", "verifyImage"].sort(),
    );
    const image = parts.get("verifyImage");
    expect(image?.headers["content-disposition"]).toBe('form-data; name="verifyImage"; filename="verify.jpg"');
    expect(image?.headers["content-type"]).toBe("image/jpeg");
    expect(image?.body.equals(Buffer.from(verifyImage.bytes))).toBe(true);
    expect(parts.get("livenessOperationMode")?.body.toString()).toBe("PassiveActive");
    expect(parts.get("deviceCorrelationIdSetInClient")?.body.toString()).toBe("true");
    expect(parts.get("enableSessionImage")?.body.toString()).toBe("true");
    expect(parts.get("authTokenTimeToLiveInSeconds")?.body.toString()).toBe("120");
    expect(reply.value).toMatchObject({ kind: "livenessWithVerify", sessionId: SESSION_ID, verifyReferences: [] });
    expect(reply.requestId).toBe(APIM_ID);
  });

  it("when the id, threshold and hash flag are given, then each goes in its own part and deviceCorrelationIdSetInClient is left out", async () => {
    let request: SeenRequest | undefined;
    nock(ENDPOINT)
      .post(`${BASE}/detectLivenessWithVerify-sessions`)
      .reply(200, async (req) => {
        request = await seen(req);
        return verifySessionReply();
      }, faceHeaders);

    await makeGateway().gateway.createLivenessWithVerifySession({
      ...createParams,
      deviceCorrelationId: "device-2",
      verifyConfidenceThreshold: 0.7,
      returnVerifyImageHash: false,
      verifyImage,
    });

    const parts = parseMultipart(request?.headers.get("content-type") ?? "", request?.body ?? Buffer.alloc(0));
    expect(parts.has("deviceCorrelationIdSetInClient")).toBe(false);
    expect(parts.get("deviceCorrelationId")?.body.toString()).toBe("device-2");
    expect(parts.get("verifyConfidenceThreshold")?.body.toString()).toBe("0.7");
    expect(parts.get("returnVerifyImageHash")?.body.toString()).toBe("false");
  });
});

describe("getSession", () => {
  it("when the session is a liveness session, then it GETs its path and normalises attempts", async () => {
    const scope = nock(ENDPOINT, { reqheaders: { "ocp-apim-subscription-key": FACE_KEY } })
      .get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`)
      .reply(
        200,
        livenessSessionReply({
          status: "Succeeded",
          results: {
            attempts: [
              {
                attemptId: 1,
                attemptStatus: "Succeeded",
                result: {
                  livenessDecision: "realface",
                  targets: { color: { faceRectangle: { top: 1, left: 2, width: 3, height: 4 } } },
                  digest: "ABC",
                  sessionImageId: "img-1",
                },
              },
            ],
          },
        }),
        faceHeaders,
      );

    const reply = await makeGateway().gateway.getSession("liveness", SESSION_ID);

    expect(scope.isDone()).toBe(true);
    expect(reply.value.attempts).toEqual([
      {
        attemptId: 1,
        attemptStatus: "Succeeded",
        result: { livenessDecision: "realface", faceRectangle: { top: 1, left: 2, width: 3, height: 4 }, digest: "ABC", sessionImageId: "img-1" },
      },
    ]);
  });

  it("when the session is a with-verify session, then it GETs the with-verify path", async () => {
    const scope = nock(ENDPOINT).get(`${BASE}/detectLivenessWithVerify-sessions/${SESSION_ID}`).reply(200, verifySessionReply(), faceHeaders);
    const reply = await makeGateway().gateway.getSession("livenessWithVerify", SESSION_ID);
    expect(scope.isDone()).toBe(true);
    expect(reply.value.kind).toBe("livenessWithVerify");
  });

  it("when the session id has reserved characters, then it is percent-encoded into one path segment", async () => {
    const scope = nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/a%2Fb%3Fc`).reply(200, livenessSessionReply(), faceHeaders);
    await makeGateway().gateway.getSession("liveness", "a/b?c");
    expect(scope.isDone()).toBe(true);
  });
});

describe("deleteSession", () => {
  it.each([
    ["liveness", "detectLiveness-sessions"],
    ["livenessWithVerify", "detectLivenessWithVerify-sessions"],
  ] as const)("when a %s session is deleted and Face answers 204, then it resolves with the request id", async (kind, path) => {
    const scope = nock(ENDPOINT).delete(`${BASE}/${path}/${SESSION_ID}`).reply(204, "", { "apim-request-id": APIM_ID });
    const reply = await makeGateway().gateway.deleteSession(kind, SESSION_ID);
    expect(scope.isDone()).toBe(true);
    expect(reply).toEqual({ value: undefined, requestId: APIM_ID });
  });

  it("when Face answers 200 (v1.1 behaviour), then the delete is still taken as done", async () => {
    const scope = nock(ENDPOINT).delete(`${BASE}/detectLiveness-sessions/${SESSION_ID}`).reply(200);
    await expect(makeGateway().gateway.deleteSession("liveness", SESSION_ID)).resolves.toEqual({ value: undefined });
    expect(scope.isDone()).toBe(true);
  });
});

describe("getSessionImage", () => {
  it("when Face returns the image, then the bytes arrive unchanged", async () => {
    const bytes = imageBytes(70_000);
    const scope = nock(ENDPOINT)
      .get(`${BASE}/sessionImages/img-1`)
      .reply(200, Buffer.from(bytes), { "content-type": "application/octet-stream", "apim-request-id": APIM_ID });

    const reply = await makeGateway().gateway.getSessionImage("img-1");

    expect(scope.isDone()).toBe(true);
    expect(reply.requestId).toBe(APIM_ID);
    expect(reply.value).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(reply.value).equals(Buffer.from(bytes))).toBe(true);
  });

  it("when Face gzips the image, then the bytes are decompressed intact", async () => {
    const bytes = imageBytes(10_000);
    nock(ENDPOINT)
      .get(`${BASE}/sessionImages/img-1`)
      .reply(200, gzipSync(bytes), { "content-type": "application/octet-stream", "content-encoding": "gzip" });
    const reply = await makeGateway().gateway.getSessionImage("img-1");
    expect(Buffer.from(reply.value).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("probe", () => {
  it("when Face answers 404 SessionNotFound for the nil session id, then the probe passes", async () => {
    const scope = nock(ENDPOINT, { reqheaders: { "ocp-apim-subscription-key": FACE_KEY } })
      .get(`${BASE}/detectLiveness-sessions/00000000-0000-0000-0000-000000000000`)
      .reply(404, faceError("SessionNotFound", "Session ID is not found."), faceHeaders);
    await expect(makeGateway().gateway.probe()).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it("when the 404 carries the code only in x-ms-error-code, then the probe passes", async () => {
    nock(ENDPOINT)
      .get(`${BASE}/detectLiveness-sessions/00000000-0000-0000-0000-000000000000`)
      .reply(404, "", { "x-ms-error-code": "SessionNotFound" });
    await expect(makeGateway().gateway.probe()).resolves.toBeUndefined();
  });
});
