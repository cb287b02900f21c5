import { createHash } from "node:crypto";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import {
  createVerifySession,
  emulatorDeviceAttempt,
  faceFetch,
  keyHeaders,
  rawMultipart,
  type FaceErrorBody,
} from "../helpers/emulator-client.js";
import {
  makeNotAnImage,
  makeTestJpeg,
  makeTestPng,
  makeTooBigImage,
  makeTooSmallImage,
  makeUndecodableJpeg,
} from "../helpers/emulator-images.js";

const KEY = "test-key";
const fields = { livenessOperationMode: "Passive", deviceCorrelationId: "device-1" };
const jpeg = makeTestJpeg({ width: 400, height: 600 });
const image = { bytes: jpeg, filename: "verifyImage.jpg", contentType: "image/jpeg" };

describe("emulator: create liveness-with-verify session (multipart)", () => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ apiKey: KEY });
  });
  afterEach(async () => {
    await emulator.close();
  });

  const expectError = async (response: Promise<{ status: number; body: unknown; headers: Headers }>, code: string) => {
    const { status, body, headers } = await response;
    expect({ status, code: (body as FaceErrorBody).error.code }).toEqual({ status: 400, code });
    expect(headers.get("x-ms-error-code")).toBe(code);
    return (body as FaceErrorBody).error.message;
  };

  it("when the parts are valid, then the session lists the processed reference image", async () => {
    const response = await createVerifySession(emulator.url, KEY, fields, image);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "NotStarted", modelVersion: "2024-11-15", results: { attempts: [] } });
    // 400x600 image: the emulator "finds" the face in the centre (half the width, 60% of the height).
    expect(response.body.results.verifyReferences).toEqual([
      { referenceType: "Color", faceRectangle: { top: 120, left: 100, width: 200, height: 360 }, qualityForRecognition: "high" },
    ]);
  });

  it("when every optional part is sent as the SDK encodes it, then they are all honoured", async () => {
    const created = await createVerifySession(
      emulator.url,
      KEY,
      {
        livenessOperationMode: "PassiveActive",
        deviceCorrelationIdSetInClient: true,
        enableSessionImage: true,
        livenessModelVersion: "2024-11-15",
        returnVerifyImageHash: "True",
        verifyConfidenceThreshold: 0.95,
        authTokenTimeToLiveInSeconds: 60,
      },
      { bytes: makeTestPng(), filename: "face.png", contentType: "image/png" },
    );
    expect(created.status).toBe(200);
    const attempt = await emulatorDeviceAttempt(emulator.url, "livenessWithVerify", created.body.authToken, {
      livenessDecision: "realface",
    });
    expect(attempt.status).toBe(200);
    const result = await faceFetch(emulator.url, `/detectLivenessWithVerify-sessions/${created.body.sessionId}`, {
      headers: keyHeaders(KEY),
    });
    const verified = result.body.results.attempts[0]?.result;
    // Default 0.92 for a real face is below the 0.95 threshold asked for.
    expect(verified?.verifyResult).toEqual({ matchConfidence: 0.92, isIdentical: false });
    expect(verified?.verifyImageHash).toBe(createHash("sha256").update(makeTestPng()).digest("hex").toUpperCase());
    expect(verified?.sessionImageId).toMatch(/^[A-Za-z0-9]{44}$/);
  });

  it("when the verifyImage part has no filename, then 400 InvalidRequestBody", async () => {
    const message = await expectError(
      createVerifySession(emulator.url, KEY, fields, { bytes: jpeg, contentType: "image/jpeg" }),
      "InvalidRequestBody",
    );
    expect(message).toContain("filename");
  });

  it("when verifyImage is sent as a text part, then 400 InvalidRequestBody", async () => {
    await expectError(createVerifySession(emulator.url, KEY, { ...fields, verifyImage: "not a file" }), "InvalidRequestBody");
  });

  // Deliberately stricter than the SDK's own sample, which omits the image: the spec marks it required.
  it("when verifyImage is missing, then 400 InvalidRequestBody", async () => {
    const message = await expectError(createVerifySession(emulator.url, KEY, fields), "InvalidRequestBody");
    expect(message).toContain("verifyImage");
  });

  it.each([
    ["too small", makeTooSmallImage(), "InvalidImageSize", "Image size is too small (<1 KB)."],
    ["just over 6 MB", makeTooBigImage(1), "InvalidImageSize", "Image size is too big (>6 MB)."],
    ["well over 6 MB", makeTooBigImage(512 * 1024), "InvalidImageSize", "Image size is too big (>6 MB)."],
    ["not an image", makeNotAnImage(), "InvalidImage", "Decoding error, image format unsupported."],
    ["an undecodable JPEG", makeUndecodableJpeg(), "InvalidImage", "Decoding error, image format unsupported."],
  ])("when the verify image is %s, then 400 %s", async (_label, bytes, code, message) => {
    const text = await expectError(createVerifySession(emulator.url, KEY, fields, { bytes, filename: "v.jpg" }), code);
    expect(text).toBe(message);
  });

  it.each([
    ["an unknown text part", { ...fields, sendResultsToClient: "true" }],
    ["a boolean that is not true/false", { ...fields, enableSessionImage: "yes" }],
    ["a lifetime that is not an integer", { ...fields, authTokenTimeToLiveInSeconds: "sixty" }],
    ["a threshold above 1", { ...fields, verifyConfidenceThreshold: "1.5" }],
    ["a threshold that is not a number", { ...fields, verifyConfidenceThreshold: "high" }],
  ])("when the form has %s, then 400 InvalidRequestBody", async (_label, form) => {
    await expectError(createVerifySession(emulator.url, KEY, form, image), "InvalidRequestBody");
  });

  it("when a part is repeated or a second file is sent, then 400 InvalidRequestBody", async () => {
    const duplicate = rawMultipart([
      { name: "livenessOperationMode", value: "Passive" },
      { name: "livenessOperationMode", value: "Passive" },
      { name: "deviceCorrelationId", value: "d" },
      { name: "verifyImage", value: jpeg, filename: "a.jpg" },
    ]);
    const twoFiles = rawMultipart([
      ...Object.entries(fields).map(([name, value]) => ({ name, value })),
      { name: "verifyImage", value: jpeg, filename: "a.jpg" },
      { name: "other", value: jpeg, filename: "b.jpg" },
    ]);
    for (const raw of [duplicate, twoFiles]) {
      const response = faceFetch(emulator.url, "/detectLivenessWithVerify-sessions", {
        method: "POST",
        headers: keyHeaders(KEY, { "content-type": raw.contentType }),
        body: raw.body,
      });
      await expectError(response, "InvalidRequestBody");
    }
  });

  it("when the multipart body is malformed, then 400 InvalidRequestBody, never a 500", async () => {
    const whole = rawMultipart([
      ...Object.entries(fields).map(([name, value]) => ({ name, value })),
      { name: "verifyImage", value: jpeg, filename: "a.jpg" },
    ]);
    const cases = [
      { contentType: "multipart/form-data", body: whole.body },
      { contentType: whole.contentType, body: whole.body.subarray(0, whole.body.length - 300) },
      { contentType: whole.contentType, body: Buffer.from("garbage without any boundary") },
    ];
    for (const { contentType, body } of cases) {
      const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLivenessWithVerify-sessions", {
        method: "POST",
        headers: keyHeaders(KEY, { "content-type": contentType }),
        body,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("InvalidRequestBody");
      expect(response.headers.get("x-ms-error-code")).toBe("InvalidRequestBody");
    }
  });

  it.each([
    ["livenessOperationMode missing", { deviceCorrelationId: "d" }, "InvalidLivenessOperationMode"],
    ["lifetime out of range", { ...fields, authTokenTimeToLiveInSeconds: "59" }, "InvalidTokenLifetime"],
    ["deviceCorrelationId missing", { livenessOperationMode: "Passive" }, "InvalidDeviceCorrelationId"],
    [
      "deviceCorrelationId sent although the client sets it",
      { ...fields, deviceCorrelationIdSetInClient: "true" },
      "InvalidDeviceCorrelationId",
    ],
  ])("when %s, then 400 %s", async (_label, form, code) => {
    await expectError(createVerifySession(emulator.url, KEY, form, image), code);
  });

  it("when the body is JSON, then 415 because v1.2 takes multipart only", async () => {
    const response = await faceFetch<FaceErrorBody>(emulator.url, "/detectLivenessWithVerify-sessions", {
      method: "POST",
      headers: keyHeaders(KEY, { "content-type": "application/json" }),
      body: JSON.stringify(fields),
    });
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe("BadArgument");
  });
});
