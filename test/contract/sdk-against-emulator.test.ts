import type { Readable } from "node:stream";

import createClient, { isUnexpected, type FaceClient } from "@azure-rest/ai-vision-face";
import { AzureKeyCredential } from "@azure/core-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import { createFaceHttpClient, type FaceHttpClient } from "../../src/face/face-http-client.js";
import { checkImage } from "../../src/lib/image-format.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { loadFaceSpecValidator, type FaceSpecValidator } from "../helpers/emulator-face-spec.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

/**
 * The official `@azure-rest/ai-vision-face` client, unmodified, against the emulator over real HTTP; every JSON body
 * it gets back is checked against the official v1.2 OpenAPI document. If this passes, code written against the SDK
 * (or the raw REST contract) behaves the same against the emulator as against Face.
 */
const KEY = "contract-test-key";
const LIVENESS = "/detectLiveness-sessions";
const VERIFY = "/detectLivenessWithVerify-sessions";
/**
 * The SDK's Node HTTP client refuses plain http unless told otherwise (localhost included), so any client pointed at
 * the emulator needs this documented option; nothing else about the SDK changes.
 */
const sdkOptions = { allowInsecureConnection: true };

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Twice: with the SDK's own node:http transport, and with the undici transport the service gives it (the SDK's
 * paths, types and auth unchanged), so both are held to the same contract.
 */
describe.each([
  ["the SDK's own transport", false],
  ["the service's undici transport", true],
])("contract: official Face SDK against the emulator, over %s", (_name, undiciTransport) => {
  let emulator: RunningEmulator;
  let client: FaceClient;
  let spec: FaceSpecValidator;
  let transport: FaceHttpClient | undefined;
  let clientOptions: typeof sdkOptions & { httpClient?: FaceHttpClient };
  beforeAll(async () => {
    spec = await loadFaceSpecValidator();
    emulator = await startEmulator({ apiKey: KEY });
    transport = undiciTransport ? createFaceHttpClient() : undefined;
    clientOptions = { ...sdkOptions, ...(transport && { httpClient: transport }) };
    client = createClient(emulator.url, new AzureKeyCredential(KEY), clientOptions);
  });
  afterAll(async () => {
    await transport?.close();
    await emulator.close();
  });

  const expectSpec = (path: string, method: string, status: number, body: unknown) =>
    expect(spec.validate(path, method, status, body), JSON.stringify(body)).toEqual([]);

  it("when the SDK runs a full liveness session, then every step matches the spec", async () => {
    const created = await client.path(LIVENESS).post({
      body: { livenessOperationMode: "Passive", deviceCorrelationId: "device-1", enableSessionImage: true },
    });
    if (isUnexpected(created)) throw new Error(JSON.stringify(created.body));
    expectSpec(LIVENESS, "post", 200, created.body);
    expect(created.body).toMatchObject({ status: "NotStarted", results: { attempts: [] } });
    const { sessionId, authToken } = created.body;
    const session = client.path(`${LIVENESS}/{sessionId}`, sessionId);

    await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { start: true });
    const running = await session.get();
    if (isUnexpected(running)) throw new Error(JSON.stringify(running.body));
    expectSpec(`${LIVENESS}/{sessionId}`, "get", 200, running.body);
    expect(running.body.status).toBe("Running");

    await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { errorCode: "FaceWithMaskDetected" });
    await emulatorDeviceAttempt(emulator.url, "liveness", authToken, { livenessDecision: "realface" });
    const done = await session.get();
    if (isUnexpected(done)) throw new Error(JSON.stringify(done.body));
    expectSpec(`${LIVENESS}/{sessionId}`, "get", 200, done.body);
    expect(done.body.status).toBe("Succeeded");
    const latest = done.body.results.attempts.find((attempt) => attempt.attemptId === 2);
    expect(latest?.result?.livenessDecision).toBe("realface");
    const sessionImageId = latest?.result?.sessionImageId;
    expect(sessionImageId).toEqual(expect.any(String));

    const sessionImage = client.path("/sessionImages/{sessionImageId}", sessionImageId ?? "");
    const image = await sessionImage.get();
    expect(isUnexpected(image)).toBe(false);
    expect(image.headers["content-type"]).toBe("application/octet-stream");
    // The default response decodes the body as text; the stream gives the bytes untouched.
    const stream = await sessionImage.get().asNodeStream();
    expect(stream.status).toBe("200");
    expect(checkImage(await readStream(stream.body!))).toMatchObject({ ok: true, format: "png" });

    const deleted = await session.delete();
    expect(deleted.status).toBe("204");
    expect(isUnexpected(deleted)).toBe(false);

    const gone = await session.get();
    expect(isUnexpected(gone)).toBe(true);
    expect(gone.status).toBe("404");
    expectSpec(`${LIVENESS}/{sessionId}`, "get", 404, gone.body);
    expect(gone.headers["x-ms-error-code"]).toBe("SessionNotFound");
    if (isUnexpected(gone)) expect(gone.body.error.code).toBe("SessionNotFound");
  });

  it("when the SDK runs a liveness-with-verify session with multipart parts, then every step matches the spec", async () => {
    const verifyImage = makeTestJpeg({ width: 480, height: 640 });
    const created = await client.path(VERIFY).post({
      contentType: "multipart/form-data",
      body: [
        { name: "livenessOperationMode", body: "PassiveActive" },
        { name: "deviceCorrelationId", body: "device-2" },
        { name: "enableSessionImage", body: true },
        { name: "livenessModelVersion", body: "2024-11-15" },
        { name: "returnVerifyImageHash", body: true },
        { name: "verifyConfidenceThreshold", body: 0.6 },
        { name: "authTokenTimeToLiveInSeconds", body: 120 },
        { name: "verifyImage", body: verifyImage, filename: "verifyImage.jpg", contentType: "image/jpeg" },
      ],
    });
    if (isUnexpected(created)) throw new Error(JSON.stringify(created.body));
    expectSpec(VERIFY, "post", 200, created.body);
    expect(created.body.results.verifyReferences).toHaveLength(1);
    const { sessionId, authToken } = created.body;
    const session = client.path(`${VERIFY}/{sessionId}`, sessionId);

    const before = await session.get();
    if (isUnexpected(before)) throw new Error(JSON.stringify(before.body));
    expectSpec(`${VERIFY}/{sessionId}`, "get", 200, before.body);
    expect(before.body.status).toBe("NotStarted");

    await emulatorDeviceAttempt(emulator.url, "livenessWithVerify", authToken, { livenessDecision: "realface" });
    const done = await session.get();
    if (isUnexpected(done)) throw new Error(JSON.stringify(done.body));
    expectSpec(`${VERIFY}/{sessionId}`, "get", 200, done.body);
    const result = done.body.results.attempts[0]?.result;
    expect(result?.verifyResult).toEqual({ matchConfidence: 0.92, isIdentical: true });
    expect(result?.verifyImageHash).toMatch(/^[0-9A-F]{64}$/);

    const deleted = await session.delete();
    expect(deleted.status).toBe("204");
    expect(isUnexpected(deleted)).toBe(false);
    const gone = await session.get();
    expect(gone.status).toBe("404");
    expectSpec(`${VERIFY}/{sessionId}`, "get", 404, gone.body);
  });

  it("when the SDK sends invalid input or a wrong key, then the errors match FaceErrorResponse", async () => {
    const badLifetime = await client.path(LIVENESS).post({
      body: { livenessOperationMode: "Passive", deviceCorrelationId: "d", authTokenTimeToLiveInSeconds: 30 },
    });
    expect(badLifetime.status).toBe("400");
    expect(badLifetime.headers["x-ms-error-code"]).toBe("InvalidTokenLifetime");
    expectSpec(LIVENESS, "post", 400, badLifetime.body);

    const noFilename = await client.path(VERIFY).post({
      contentType: "multipart/form-data",
      body: [
        { name: "livenessOperationMode", body: "Passive" },
        { name: "deviceCorrelationId", body: "d" },
        { name: "verifyImage", body: makeTestJpeg() },
      ],
    });
    expect(noFilename.status).toBe("400");
    expect(noFilename.headers["x-ms-error-code"]).toBe("InvalidRequestBody");
    expectSpec(VERIFY, "post", 400, noFilename.body);

    const wrongKey = createClient(emulator.url, new AzureKeyCredential("wrong"), clientOptions);
    const denied = await wrongKey.path("/sessionImages/{sessionImageId}", "x").get();
    expect(denied.status).toBe("401");
    expectSpec("/sessionImages/{sessionImageId}", "get", 401, denied.body);
  });

  it("when the SDK's endpoint ends with a slash, then the doubled slash still reaches the emulator", async () => {
    const slashed = createClient(`${emulator.url}/`, new AzureKeyCredential(KEY), clientOptions);
    const created = await slashed.path(LIVENESS).post({ body: { livenessOperationMode: "Passive", deviceCorrelationId: "d" } });
    expect(isUnexpected(created)).toBe(false);
    expectSpec(LIVENESS, "post", 200, created.body);
  });

  it("when a body strays from the spec, then the validator says so (it is not a rubber stamp)", () => {
    const session = { sessionId: "s", authToken: "t", status: "NotStarted", results: { attempts: [] } };
    expect(spec.validate(`${LIVENESS}/{sessionId}`, "get", 200, session)).toEqual([]);
    const invalid = [
      { ...session, status: "Started" },
      { ...session, createdDateTime: "2026-01-01T00:00:00Z" },
      { ...session, results: { attempts: [{ attemptId: 1, attemptStatus: "Succeeded", result: { livenessDecision: "realFace", targets: {}, digest: "d" } }] } },
      { error: { code: "x" } },
    ];
    for (const body of invalid) expect(spec.validate(`${LIVENESS}/{sessionId}`, "get", 200, body)).not.toEqual([]);
    expect(spec.validate(`${LIVENESS}/{sessionId}`, "get", 404, { error: { code: "x", message: "m" } })).toEqual([]);
    expect(spec.validate(`${LIVENESS}/{sessionId}`, "get", 404, { code: "x", message: "m" })).not.toEqual([]);
  });

  it("when the spec is read, then every liveness path the emulator serves is in it, with 204 deletes", () => {
    for (const [path, method, status] of [
      [LIVENESS, "post", 200],
      [`${LIVENESS}/{sessionId}`, "get", 200],
      [`${LIVENESS}/{sessionId}`, "delete", 204],
      [VERIFY, "post", 200],
      [`${VERIFY}/{sessionId}`, "get", 200],
      [`${VERIFY}/{sessionId}`, "delete", 204],
      ["/sessionImages/{sessionImageId}", "get", 200],
    ] as const) {
      expect(spec.spec.paths[path]?.[method]?.responses[String(status)], `${method} ${path}`).toBeDefined();
      expect(spec.responseOf(path, method, 400).headers).toHaveProperty("x-ms-error-code");
    }
  });
});
