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
  verifyImage,
  verifySessionReply,
} from "./face-test-kit.js";

const createParams = { livenessOperationMode: "Passive", authTokenTimeToLiveInSeconds: 600, enableSessionImage: true } as const;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Strings that must never show up in a log line, in any encoding we could plausibly leak them in. */
function secretsIn(raw: string, image: Uint8Array): string[] {
  const imageBuffer = Buffer.from(image);
  const candidates = {
    faceKey: FACE_KEY,
    authToken: AUTH_TOKEN,
    imageBase64: imageBuffer.toString("base64").slice(0, 64),
    imageBase64Url: imageBuffer.toString("base64url").slice(0, 64),
    imageHex: imageBuffer.toString("hex").slice(0, 64),
    // A run of the raw bytes as text, the way a body would appear if it were logged as a string.
    imageText: imageBuffer.subarray(4, 40).toString("latin1"),
    imageUtf8: imageBuffer.subarray(4, 40).toString("utf8"),
  };
  return Object.entries(candidates)
    .filter(([, needle]) => raw.includes(needle) || raw.includes(JSON.stringify(needle).slice(1, -1)))
    .map(([name]) => name);
}

describe("upstream call logging", () => {
  it("when create, get, delete and image calls run, then each writes one info line with operation, status, apim-request-id and duration, and no secrets", async () => {
    const image = imageBytes(4096);
    nock(ENDPOINT)
      .post(`${BASE}/detectLiveness-sessions`)
      .reply(200, livenessSessionReply(), faceHeaders)
      .post(`${BASE}/detectLivenessWithVerify-sessions`)
      .reply(200, verifySessionReply(), faceHeaders)
      .get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`)
      .reply(200, livenessSessionReply(), faceHeaders)
      .delete(`${BASE}/detectLiveness-sessions/${SESSION_ID}`)
      .reply(204, "", { "apim-request-id": APIM_ID })
      .get(`${BASE}/sessionImages/img-1`)
      .reply(200, Buffer.from(image), { "content-type": "application/octet-stream", "apim-request-id": APIM_ID });
    const { gateway, logs, rawLogs } = makeGateway();

    await gateway.createLivenessSession({ ...createParams, deviceCorrelationId: "device-1" });
    await gateway.createLivenessWithVerifySession({ ...createParams, verifyImage: { ...verifyImage, bytes: image } });
    await gateway.getSession("liveness", SESSION_ID);
    await gateway.deleteSession("liveness", SESSION_ID);
    await gateway.getSessionImage("img-1");

    const lines = logs();
    expect(lines.map((l) => l.faceOperation)).toEqual([
      "createLivenessSession",
      "createLivenessWithVerifySession",
      "getLivenessSession",
      "deleteLivenessSession",
      "getSessionImage",
    ]);
    for (const line of lines) {
      // Debug: a successful Face call is detail; the request's access line is what info shows.
      expect(line).toMatchObject({ level: 20, msg: "Face call", apimRequestId: APIM_ID });
      expect(typeof line.durationMs).toBe("number");
      expect([200, 204]).toContain(line.status);
    }
    expect(secretsIn(rawLogs(), image)).toEqual([]);
    // The detector itself works: it finds each secret when it is there.
    const leaked = `${FACE_KEY} ${AUTH_TOKEN} ${Buffer.from(image).toString("base64")} ${Buffer.from(image).toString("latin1")}`;
    expect(secretsIn(leaked, image)).toEqual(expect.arrayContaining(["faceKey", "authToken", "imageBase64", "imageText"]));
    expect(rawLogs()).not.toContain("device-1");
  });

  it("when the caller passes its request logger, then the line carries the caller's request id", async () => {
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`).reply(200, livenessSessionReply(), faceHeaders);
    const { gateway, logs, logger } = makeGateway();
    const requestLog = logger.child({ reqId: "req-42" });

    await gateway.getSession("liveness", SESSION_ID, { log: requestLog });

    expect(logs().at(-1)).toMatchObject({ reqId: "req-42", faceOperation: "getLivenessSession", apimRequestId: APIM_ID });
  });

  it("when Face answers 401, then an error line says to check FACE_APIKEY and FACE_ENDPOINT without the key", async () => {
    nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).reply(401, faceError("401", "Access denied due to invalid subscription key."), faceHeaders);
    const { gateway, logs, rawLogs } = makeGateway();

    await expect(gateway.createLivenessSession(createParams)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_AUTH" });

    const errorLine = logs().find((l) => l.level === 50);
    expect(errorLine).toMatchObject({ faceOperation: "createLivenessSession", status: 401, faceCode: "401", apimRequestId: APIM_ID });
    expect(String(errorLine?.msg)).toMatch(/FACE_APIKEY.*FACE_ENDPOINT/);
    expect(rawLogs()).not.toContain(FACE_KEY);
  });

  it("when Face fails with 500, then the error line carries Face's code and message (logs only)", async () => {
    nock(ENDPOINT).get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`).reply(500, faceError("InternalError", "boom at X"), faceHeaders);
    const { gateway, logs } = makeGateway();
    await expect(gateway.getSession("liveness", SESSION_ID)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
    expect(logs().find((l) => l.level === 50)).toMatchObject({ faceCode: "InternalError", faceMessage: "boom at X", errorCode: "LSO_ERR_UPSTREAM" });
  });

  it("when a 200 reply fails the schema, then the error line lists paths but not the body (which holds the authToken)", async () => {
    nock(ENDPOINT)
      .get(`${BASE}/detectLiveness-sessions/${SESSION_ID}`)
      .reply(200, { ...livenessSessionReply(), status: 42 }, faceHeaders);
    const { gateway, logs, rawLogs } = makeGateway();
    await expect(gateway.getSession("liveness", SESSION_ID)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM" });
    expect(logs().find((l) => l.level === 50)).toMatchObject({ schemaIssuePaths: ["status"] });
    expect(rawLogs()).not.toContain(AUTH_TOKEN);
  });

  it("when the credential is a TokenCredential, then the bearer token never reaches the logs", async () => {
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => ({ token: "entra-secret-token-xyz", expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    nock(ENDPOINT).post(`${BASE}/detectLiveness-sessions`).reply(403, faceError("UnsupportedFeature", "No approval."), faceHeaders);
    const { gateway, rawLogs } = makeGateway({ credential });
    await expect(gateway.createLivenessSession(createParams)).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_AUTH" });
    expect(rawLogs()).toMatch(/approval/);
    expect(rawLogs()).not.toContain("entra-secret-token-xyz");
  });

  it("when the readiness probe passes, then it logs at debug so /readyz does not flood the logs", async () => {
    nock(ENDPOINT)
      .get(`${BASE}/detectLiveness-sessions/00000000-0000-0000-0000-000000000000`)
      .reply(404, faceError("SessionNotFound", "Session ID is not found."), faceHeaders);
    const { gateway, logs } = makeGateway();
    await gateway.probe();
    expect(logs()).toEqual([expect.objectContaining({ level: 20, faceOperation: "probe", status: 404, apimRequestId: APIM_ID })]);
  });
});
