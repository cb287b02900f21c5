/** Every kind of bad input gets a clear 4xx in the one envelope with a stable code; never a 500. */
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";
import { rawMultipart } from "../helpers/emulator-client.js";
import { makeNotAnImage, makeTestJpeg, makeTooBigImage, makeTooSmallImage, makeUndecodableJpeg } from "../helpers/emulator-images.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());

const image = makeTestJpeg({ minBytes: 2048 });
const verify = (extra: Record<string, unknown> = {}) => ({ kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: image.toString("base64"), ...extra });

async function expectError(options: InjectOptions, status: number, code: string, field?: string) {
  const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", ...options, headers: { ...auth(), ...options.headers } });
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers["x-request-id"]);
  expect(typeof body.error.message).toBe("string");
  if (field) expect(body.error.fields.map((f: { path: string }) => f.path)).toContain(field);
  return body;
}

const json = (payload: unknown) => ({ payload: payload as Record<string, unknown> });
function multipart(parts: Parameters<typeof rawMultipart>[0]) {
  const form = rawMultipart(parts);
  return { headers: { "content-type": form.contentType }, payload: form.body };
}

describe("POST /v1/sessions with bad JSON fields", () => {
  it.each([
    ["an unknown kind", { kind: "identify" }, "body.kind"],
    ["no kind", { deviceCorrelationId: "d" }, "body.kind"],
    ["a number for kind", { kind: 7 }, "body.kind"],
    ["a string TTL", { kind: "liveness", authTokenTtlSeconds: "600" }, "body.authTokenTtlSeconds"],
    ["a TTL under 60", { kind: "liveness", authTokenTtlSeconds: 59 }, "body.authTokenTtlSeconds"],
    ["a TTL over 86400", { kind: "liveness", authTokenTtlSeconds: 86401 }, "body.authTokenTtlSeconds"],
    ["a fractional TTL", { kind: "liveness", authTokenTtlSeconds: 60.5 }, "body.authTokenTtlSeconds"],
    ["an unknown mode", { kind: "liveness", livenessOperationMode: "Active" }, "body.livenessOperationMode"],
    ["a 65-character deviceCorrelationId", { kind: "liveness", deviceCorrelationId: "x".repeat(65) }, "body.deviceCorrelationId"],
    // zod counts code points, Face counts UTF-16 units: this one used to pass validation and come back as a 502.
    ["a deviceCorrelationId of 33 emoji (66 UTF-16 units)", { kind: "liveness", deviceCorrelationId: "😀".repeat(33) }, "body.deviceCorrelationId"],
    ["an empty deviceCorrelationId", { kind: "liveness", deviceCorrelationId: "" }, "body.deviceCorrelationId"],
    ["a 129-character subject", { kind: "liveness", subject: "s".repeat(129) }, "body.subject"],
    ["a string for enableSessionImage", { kind: "liveness", enableSessionImage: "yes" }, "body.enableSessionImage"],
    ["an unknown field", { kind: "liveness", livenesOperationMode: "Passive" }, "body"],
    ["a verifyImage on a liveness session", { kind: "liveness", verifyImage: image.toString("base64") }, "body"],
    ["a threshold on a liveness session", { kind: "liveness", verifyConfidenceThreshold: 0.5 }, "body"],
    ["a verify session without an image", { kind: "livenessWithVerify", deviceCorrelationId: "d" }, "body.verifyImage"],
    ["a threshold above 1", verify({ verifyConfidenceThreshold: 1.5 }), "body.verifyConfidenceThreshold"],
    ["a verifyImage that is not base64", verify({ verifyImage: "not base64!" }), "body.verifyImage"],
    ["a data: URL verifyImage", verify({ verifyImage: `data:image/jpeg;base64,${image.toString("base64")}` }), "body.verifyImage"],
    ["an array body", [{ kind: "liveness" }], "body"],
  ])("when the body has %s, then 400 LSO_ERR_VALIDATION names the field", async (_name, body, field) => {
    await expectError(json(body), 400, "LSO_ERR_VALIDATION", field);
  });

  it("when the deviceCorrelationId is 32 emoji (64 UTF-16 units), then Face accepts it", async () => {
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness", deviceCorrelationId: "😀".repeat(32) } });
    expect(res.statusCode, res.body).toBe(201);
  });

  it("when nothing was created for a rejected request, then Face saw no create call", async () => {
    const before = stack.emulator.state.requestCount("createLivenessSession");
    await expectError(json({ kind: "liveness", authTokenTtlSeconds: 1 }), 400, "LSO_ERR_VALIDATION");
    expect(stack.emulator.state.requestCount("createLivenessSession")).toBe(before);
  });
});

describe("POST /v1/sessions with a bad body encoding", () => {
  it("when the JSON is malformed, then 400 LSO_ERR_MALFORMED_BODY", async () => {
    await expectError({ headers: { "content-type": "application/json" }, payload: '{"kind": "liveness",' }, 400, "LSO_ERR_MALFORMED_BODY");
  });

  it("when the JSON body is empty, then 400 LSO_ERR_MALFORMED_BODY", async () => {
    await expectError({ headers: { "content-type": "application/json" }, payload: "" }, 400, "LSO_ERR_MALFORMED_BODY");
  });

  it("when there is no body at all, then 400 LSO_ERR_VALIDATION", async () => {
    await expectError({}, 400, "LSO_ERR_VALIDATION", "body.kind");
  });

  it("when the JSON tries prototype poisoning, then it is refused with a 400", async () => {
    await expectError({ headers: { "content-type": "application/json" }, payload: '{"kind":"liveness","__proto__":{"admin":true}}' }, 400, "LSO_ERR_MALFORMED_BODY");
  });

  it.each(["text/plain", "application/xml", "application/x-www-form-urlencoded"])("when the content type is %s, then 415", async (type) => {
    await expectError({ headers: { "content-type": type }, payload: "kind=liveness" }, 415, "LSO_ERR_UNSUPPORTED_MEDIA_TYPE");
  });

  it("when the body is larger than the create limit, then 413 LSO_ERR_BODY_TOO_LARGE", async () => {
    await expectError(json({ kind: "liveness", subject: "x".repeat(10 * 1024 * 1024) }), 413, "LSO_ERR_BODY_TOO_LARGE");
  });

  it("when multipart has no boundary, then 400 LSO_ERR_MALFORMED_BODY", async () => {
    await expectError({ headers: { "content-type": "multipart/form-data" }, payload: "--x\r\n" }, 400, "LSO_ERR_MALFORMED_BODY");
  });

  it("when multipart is cut off mid-part, then 400 and nothing is created", async () => {
    // @fastify/multipart ends the part stream quietly on a truncated body, so the cut part is simply missing.
    const before = stack.emulator.state.requestCount("createLivenessSession");
    const form = rawMultipart([{ name: "deviceCorrelationId", value: "d" }, { name: "kind", value: "liveness" }]);
    const cut = form.body.subarray(0, form.body.indexOf("liveness") + 3);
    await expectError({ headers: { "content-type": form.contentType }, payload: cut }, 400, "LSO_ERR_VALIDATION", "body.kind");
    expect(stack.emulator.state.requestCount("createLivenessSession")).toBe(before);
  });
});

describe("POST /v1/sessions multipart fields", () => {
  const verifyParts = (extra: Parameters<typeof rawMultipart>[0] = []) => [
    { name: "kind", value: "livenessWithVerify" },
    { name: "deviceCorrelationId", value: "d" },
    ...extra,
  ];

  it.each([
    ["a non-numeric TTL", [{ name: "authTokenTtlSeconds", value: "ten" }], "body.authTokenTtlSeconds"],
    ["a boolean spelled yes", [{ name: "enableSessionImage", value: "yes" }], "body.enableSessionImage"],
    ["an unknown field", [{ name: "colour", value: "blue" }], "body"],
    ["a duplicated field", [{ name: "deviceCorrelationId", value: "e" }], "body.deviceCorrelationId"],
    ["verifyImage as a text field", [{ name: "verifyImage", value: "abc" }], "body.verifyImage"],
  ])("when the form has %s, then 400 names the field", async (_name, extra, field) => {
    await expectError(multipart(verifyParts([...extra, { name: "verifyImage", value: image, filename: "a.jpg" }])), 400, "LSO_ERR_VALIDATION", field);
  });

  it("when the form has an extra file part, then 400 names it", async () => {
    const parts = verifyParts([{ name: "verifyImage", value: image, filename: "a.jpg" }, { name: "other", value: image, filename: "b.jpg" }]);
    await expectError(multipart(parts), 400, "LSO_ERR_VALIDATION", "body.other");
  });

  it("when a verify form has no image, then 400 names verifyImage", async () => {
    await expectError(multipart(verifyParts()), 400, "LSO_ERR_VALIDATION", "body.verifyImage");
  });

  it("when a liveness form carries an image, then 400", async () => {
    await expectError(multipart([{ name: "kind", value: "liveness" }, { name: "verifyImage", value: image, filename: "a.jpg" }]), 400, "LSO_ERR_VALIDATION", "body.verifyImage");
  });

  it.each([
    ["no Content-Disposition", "Content-Type: text/plain"],
    ["a Content-Disposition that is not form-data", 'Content-Disposition: attachment; name="x"'],
  ])("when a part has %s and a 100 KB body, then the request is still answered (busboy skips such a part)", async (_name, header) => {
    // This used to hang for good: busboy stalled on a skipped part past its high-water mark (see src/app.ts).
    const body = Buffer.from(`--b\r\n${header}\r\n\r\n${"v".repeat(100_000)}\r\n--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\nliveness\r\n--b--\r\n`);
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "content-type": "multipart/form-data; boundary=b" }, payload: body });
    expect(res.statusCode, res.body).toBe(201);
  });

  it("when a multipart body declares more than the 9 MiB create limit, then 413 before it is read", async () => {
    const before = stack.emulator.state.requestCount("createLivenessWithVerifySession");
    const big = multipart(verifyParts([{ name: "padding", value: Buffer.alloc(9 * 1024 * 1024, 0x61), filename: "pad.bin" }]));
    await expectError(big, 413, "LSO_ERR_BODY_TOO_LARGE");
    expect(stack.emulator.state.requestCount("createLivenessWithVerifySession")).toBe(before);
  });

  it("when the file is over 6 MB, then 413 LSO_ERR_IMAGE_TOO_LARGE", async () => {
    await expectError(multipart(verifyParts([{ name: "verifyImage", value: makeTooBigImage(), filename: "big.jpg" }])), 413, "LSO_ERR_IMAGE_TOO_LARGE");
  });
});

/** C0, DEL, C1 and the bidi controls that can reorder or hide text in logs and consoles (Trojan Source). */
const forbiddenCharacters: Array<[string, string]> = [
  ["NUL", "\u0000"], ["BEL", "\u0007"], ["an ANSI escape", "\u001b[31m"], ["a line feed", "\n"], ["a carriage return", "\r"], ["a tab", "\t"],
  ["DEL", "\u007f"], ["NEL (C1)", "\u0085"], ["APC (C1, last)", "\u009f"], ["ARABIC LETTER MARK", "\u061c"], ["LRM", "\u200e"], ["RLM", "\u200f"],
  ["LRE", "\u202a"], ["RLO", "\u202e"], ["LRI", "\u2066"], ["PDI", "\u2069"],
];

describe("POST /v1/sessions free-text fields", () => {
  const faceCreates = () => stack.emulator.state.requestCount("createLivenessSession");

  it.each(forbiddenCharacters.flatMap(([name, char]) => (["subject", "deviceCorrelationId"] as const).map((field) => [name, field, char] as const)))(
    "when the text holds %s in %s, then 400 names the field, in JSON and multipart, and Face is not called",
    async (_name, field, char) => {
      const before = faceCreates();
      const value = `user${char}42`;
      const body = await expectError(json({ kind: "liveness", [field]: value }), 400, "LSO_ERR_VALIDATION", `body.${field}`);
      expect(body.error.fields[0].message).toMatch(/control characters/);
      await expectError(multipart([{ name: "kind", value: "liveness" }, { name: field, value }]), 400, "LSO_ERR_VALIDATION", `body.${field}`);
      expect(faceCreates()).toBe(before);
    },
  );

  it("when the text is non-Latin, accented, emoji or holds a no-break space, then it is accepted", async () => {
    for (const value of ["José", "日本語のユーザー", "عربى", "👩‍👩‍👧‍👦", "a\u00a0b"]) {
      const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness", subject: value, deviceCorrelationId: value } });
      expect(res.statusCode, `${value}: ${res.body}`).toBe(201);
    }
  });

  it("when the callbackUrl is over 2048 characters, then the message states the limit, in JSON and multipart", async () => {
    const callbackUrl = `https://hooks.example.com/${"a".repeat(2030)}`;
    const fromJson = await expectError(json({ kind: "liveness", callbackUrl }), 400, "LSO_ERR_VALIDATION", "body.callbackUrl");
    expect(fromJson.error.fields).toEqual([{ path: "body.callbackUrl", message: "must be at most 2048 characters" }]);
    const fromForm = await expectError(multipart([{ name: "kind", value: "liveness" }, { name: "callbackUrl", value: callbackUrl }]), 400, "LSO_ERR_VALIDATION");
    expect(fromForm.error.fields).toEqual([{ path: "body.callbackUrl", message: "must be at most 2048 characters" }]);
  });

  it.each([["a trailing tab", "https://hooks.example.com/x\t"], ["a line feed inside", "https://hooks.example.com/a\nb"], ["a NUL", "https://hooks.example.com/a\u0000"], ["an RLO", "https://hooks.example.com/\u202egnp.exe"]])(
    "when the callbackUrl holds %s, then 400 names it (the URL parser would quietly drop or encode it)",
    async (_name, callbackUrl) => {
      const body = await expectError(json({ kind: "liveness", callbackUrl }), 400, "LSO_ERR_VALIDATION", "body.callbackUrl");
      expect(body.error.fields[0].message).toMatch(/control characters/);
    },
  );

  it("when a multipart callbackUrl is 1 000 three-byte characters (over 2048 bytes), then its length is not what refuses it", async () => {
    // Webhooks are off in this stack: the 422 proves the URL passed validation whole.
    const callbackUrl = `https://hooks.example.com/${"日".repeat(1000)}`;
    await expectError(multipart([{ name: "kind", value: "liveness" }, { name: "callbackUrl", value: callbackUrl }]), 422, "LSO_ERR_WEBHOOKS_DISABLED", "body.callbackUrl");
  });
});

describe("POST /v1/sessions reference image checks, before Face is called", () => {
  it.each([
    ["not an image", makeNotAnImage(), 422, "LSO_ERR_IMAGE_FORMAT"],
    ["under 1 KB", makeTooSmallImage(), 422, "LSO_ERR_IMAGE_TOO_SMALL"],
    ["a JPEG signature with no frame", makeUndecodableJpeg(), 422, "LSO_ERR_IMAGE_FORMAT"],
  ])("when the image is %s, then it is refused in both encodings and Face is not called", async (_name, bytes, status, code) => {
    const before = stack.emulator.state.requestCount("createLivenessWithVerifySession");
    await expectError(json(verify({ verifyImage: bytes.toString("base64") })), status, code);
    await expectError(multipart([{ name: "kind", value: "livenessWithVerify" }, { name: "verifyImage", value: bytes, filename: "x.jpg", contentType: "image/jpeg" }]), status, code);
    expect(stack.emulator.state.requestCount("createLivenessWithVerifySession")).toBe(before);
  });
});

describe("session ids and unknown routes", () => {
  it.each(["not-a-guid", "..%2F..%2Fetc%2Fpasswd", "1234", "00000000-0000-0000-0000-00000000000g", "%00", "' OR 1=1 --"])(
    "when the id is %s, then 400 LSO_ERR_VALIDATION on every session route",
    async (id) => {
      for (const [method, suffix] of [["GET", ""], ["DELETE", ""], ["GET", "/image"]] as const) {
        const res = await stack.app.inject({ method, url: `/v1/sessions/${encodeURIComponent(id)}${suffix}`, headers: auth() });
        expect(res.statusCode, `${method} ${suffix}`).toBe(400);
        expect(res.json().error.code).toBe("LSO_ERR_VALIDATION");
        expect(res.json().error.fields[0].path).toBe("params.id");
      }
    },
  );

  it("when the owner spells the id in upper case, then every session route finds the session, under its lower-case id", async () => {
    const created = (await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness" } })).json();
    const upper = String(created.id).toUpperCase();
    const read = await stack.app.inject({ method: "GET", url: `/v1/sessions/${upper}`, headers: auth() });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().id).toBe(created.id);
    for (const suffix of ["/events", "/audit"]) {
      expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${upper}${suffix}`, headers: auth() })).statusCode, suffix).toBe(200);
    }
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${upper}`, headers: auth() })).statusCode).toBe(204);
    expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.id}`, headers: auth() })).statusCode).toBe(404);
  });

  it.each([
    ["a broken percent-encoding", "/v1/sessions/%E0%A4%A", "The URL is not validly encoded."],
    ["a lone %", "/v1/sessions/%", "The URL is not validly encoded."],
    ["an id longer than the router's parameter limit", `/v1/sessions/${"a".repeat(300)}`, "A path segment is too long."],
  ])("when the URL has %s, then 400 LSO_ERR_VALIDATION in the envelope, with x-request-id and without the URL echoed", async (_name, url, message) => {
    // The router refuses these before any hook runs; fastify's own answer had neither the envelope nor x-request-id.
    const res = await stack.app.inject({ method: "GET", url, headers: auth() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: "LSO_ERR_VALIDATION", message, requestId: res.headers["x-request-id"] } });
  });

  it("when the route does not exist, then 404 LSO_ERR_ROUTE_NOT_FOUND in the envelope", async () => {
    const res = await stack.app.inject({ method: "GET", url: "/v2/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_ROUTE_NOT_FOUND", requestId: res.headers["x-request-id"] });
  });

  it("when the method is not supported, then 404 in the envelope", async () => {
    const res = await stack.app.inject({ method: "PUT", url: "/v1/sessions", headers: auth() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("LSO_ERR_ROUTE_NOT_FOUND");
  });

  it("when all that bad input has been sent, then the server is still healthy and no 500 was logged", async () => {
    expect((await stack.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect(stack.logs.records().filter((r) => r.level === 50)).toEqual([]);
  });
});
