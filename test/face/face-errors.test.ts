import { describe, expect, it } from "vitest";

import { mapFaceHttpFailure, mapTransportFailure, parseRetryAfter } from "../../src/face/face-errors.js";

const NOW = Date.parse("2026-01-01T00:00:00.000Z");

describe("parseRetryAfter", () => {
  it.each([
    [undefined, 1],
    ["", 1],
    ["0", 1],
    ["5", 5],
    ["2.2", 3],
    ["3600", 60],
    ["Thu, 01 Jan 2026 00:00:30 GMT", 30],
    ["Wed, 31 Dec 2025 23:59:00 GMT", 1],
    ["Fri, 02 Jan 2026 00:00:00 GMT", 60],
    ["soon", 1],
    ["-4", 1],
  ])("when Retry-After is %j, then we advise %i s", (header, seconds) => {
    expect(parseRetryAfter(header, NOW)).toBe(seconds);
  });
});

describe("mapFaceHttpFailure", () => {
  it.each([
    [404, "session", "SessionNotFound", "LSO_ERR_SESSION_NOT_FOUND", "info"],
    [404, "sessionImage", "SessionImageNotFound", "LSO_ERR_SESSION_IMAGE_NOT_FOUND", "info"],
    // A create's collection always exists at a working endpoint, and Azure's gateway answers a route it does not know
    // with code "404" (or some other server with no Face code at all): the endpoint or version is wrong, not the id.
    [404, "sessions", "SessionNotFound", "LSO_ERR_UPSTREAM_MISCONFIGURED", "error"],
    [404, "sessions", "404", "LSO_ERR_UPSTREAM_MISCONFIGURED", "error"],
    [404, "session", "404", "LSO_ERR_UPSTREAM_MISCONFIGURED", "error"],
    [404, "session", undefined, "LSO_ERR_UPSTREAM_MISCONFIGURED", "error"],
    [404, "sessionImage", "404", "LSO_ERR_UPSTREAM_MISCONFIGURED", "error"],
    [404, "sessionImage", undefined, "LSO_ERR_UPSTREAM_MISCONFIGURED", "error"],
    [400, "session", "InvalidImage", "LSO_ERR_FACE_INVALID_IMAGE", "info"],
    [400, "session", "InvalidImageSize", "LSO_ERR_FACE_INVALID_IMAGE", "info"],
    [400, "session", "BadArgument", "LSO_ERR_UPSTREAM", "error"],
    [401, "session", "401", "LSO_ERR_UPSTREAM_AUTH", "error"],
    [403, "session", "UnsupportedFeature", "LSO_ERR_UPSTREAM_AUTH", "error"],
    [408, "session", undefined, "LSO_ERR_UPSTREAM_UNAVAILABLE", "warn"],
    [409, "session", "ConcurrentOperationConflict", "LSO_ERR_UPSTREAM_UNAVAILABLE", "warn"],
    [429, "session", "429", "LSO_ERR_UPSTREAM_UNAVAILABLE", "warn"],
    [503, "session", undefined, "LSO_ERR_UPSTREAM_UNAVAILABLE", "warn"],
    [500, "session", "InternalServerError", "LSO_ERR_UPSTREAM", "error"],
    [504, "session", undefined, "LSO_ERR_UPSTREAM", "error"],
    [418, "session", undefined, "LSO_ERR_UPSTREAM", "error"],
  ] as const)("when Face answers %i on a %s path with %s, then it is %s logged at %s", (status, resource, faceCode, code, level) => {
    const mapped = mapFaceHttpFailure({ status, resource, ...(faceCode && { faceCode }) }, NOW);
    expect(mapped.error.code).toBe(code);
    expect(mapped.level).toBe(level);
    expect(mapped.error.faceCode).toBe(code === "LSO_ERR_FACE_INVALID_IMAGE" ? faceCode : undefined);
  });

  it("when Face rejects the image, then only its message reaches the caller", () => {
    const mapped = mapFaceHttpFailure(
      { status: 400, resource: "session", faceCode: "InvalidImage", faceMessage: "There is more than 1 face in the image." },
      NOW,
    );
    expect(mapped.error.message).toBe("Azure AI Face rejected the image: There is more than 1 face in the image.");
    expect(mapped.error.statusCode).toBe(422);
  });

  it("when Face fails with 5xx, then its message stays out of the error", () => {
    const mapped = mapFaceHttpFailure({ status: 500, resource: "session", faceMessage: "NullReference at Face.Internal" }, NOW);
    expect(mapped.error.message).not.toContain("NullReference");
  });

  it("when Face answers 403 UnsupportedFeature, then the hint mentions feature approval and the config names, never a key", () => {
    const mapped = mapFaceHttpFailure({ status: 403, resource: "session", faceCode: "UnsupportedFeature" }, NOW);
    expect(mapped.hint).toMatch(/FACE_APIKEY/);
    expect(mapped.hint).toMatch(/FACE_ENDPOINT/);
    expect(mapped.hint).toMatch(/approval/);
  });

  it("when the route is missing, then the hint names the host and path tried and what to check, and the status is kept", () => {
    const mapped = mapFaceHttpFailure(
      { status: 404, resource: "sessions", faceCode: "404", target: { host: "x.cognitiveservices.azure.com", path: "/face/v1.2/face/v1.2/detectLiveness-sessions" } },
      NOW,
    );
    expect(mapped.error).toMatchObject({ code: "LSO_ERR_UPSTREAM_MISCONFIGURED", statusCode: 502, upstreamStatus: 404 });
    expect(mapped.hint).toContain("x.cognitiveservices.azure.com/face/v1.2/face/v1.2/detectLiveness-sessions");
    expect(mapped.hint).toMatch(/FACE_ENDPOINT .*https:\/\/<resource>\.cognitiveservices\.azure\.com.* FACE_API_VERSION/);
  });

  it.each([
    [401, undefined, /\(401\).*FACE_APIKEY.*FACE_ENDPOINT/],
    [403, "PermissionDenied", /\(403\).*Cognitive Services User role/],
    [403, "UnsupportedFeature", /approval/],
  ] as const)("when Face answers %i %s, then the hint says what that status means to fix", (status, faceCode, hint) => {
    const mapped = mapFaceHttpFailure({ status, resource: "session", ...(faceCode && { faceCode }) }, NOW);
    expect(mapped.error.code).toBe("LSO_ERR_UPSTREAM_AUTH");
    expect(mapped.hint).toMatch(hint);
  });

  it("when Face answers 429 with Retry-After, then retryAfterSeconds follows it", () => {
    expect(mapFaceHttpFailure({ status: 429, resource: "session", retryAfter: "9" }, NOW).error.retryAfterSeconds).toBe(9);
  });
});

describe("mapTransportFailure", () => {
  it("when our timer fired, then it is LSO_ERR_UPSTREAM_TIMEOUT whatever the error says", () => {
    expect(mapTransportFailure(Object.assign(new Error("x"), { code: "ECONNRESET" }), true).error.code).toBe("LSO_ERR_UPSTREAM_TIMEOUT");
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "REQUEST_SEND_ERROR"])(
    "when the socket failed with %s, then it is LSO_ERR_UPSTREAM_UNAVAILABLE retrying after 1 s",
    (code) => {
      const mapped = mapTransportFailure(Object.assign(new Error("x"), { code }), false);
      expect(mapped.error).toMatchObject({ code: "LSO_ERR_UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1 });
    },
  );

  it("when a TokenCredential could not get a token, then it is LSO_ERR_UPSTREAM_AUTH", () => {
    const err = Object.assign(new Error("no identity"), { name: "CredentialUnavailableError" });
    expect(mapTransportFailure(err, false).error.code).toBe("LSO_ERR_UPSTREAM_AUTH");
  });

  it("when an unknown error (an AbortError we did not cause, a bug) surfaces, then it is LSO_ERR_UPSTREAM", () => {
    expect(mapTransportFailure(Object.assign(new Error("aborted"), { name: "AbortError" }), false).error.code).toBe("LSO_ERR_UPSTREAM");
    expect(mapTransportFailure("weird", false).error.code).toBe("LSO_ERR_UPSTREAM");
  });
});
