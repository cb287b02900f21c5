/**
 * Requests refused below fastify's routing (by Node's HTTP parser, by Node's own Host and Expect checks, or as
 * CONNECT) still get the one envelope and an x-request-id, over a real socket. Each case here was an answer outside
 * the envelope (fastify's default body, an empty 400 or 417, or a dropped connection) until src/app.ts wired the
 * handlers in src/plugins/error-handler.ts.
 */
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack;
let port: number;
beforeAll(async () => {
  stack = await startStack();
  await stack.app.listen({ port: 0, host: "127.0.0.1" });
  port = (stack.app.server.address() as AddressInfo).port;
});
afterAll(async () => stack.close());

interface RawAnswer {
  raw: string;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `request` as is and reads until the server closes (every case here ends with the server closing).
 * With `finish`, the client half-closes after writing: it will send nothing more.
 */
function rawRequest(request: string, options: { finish?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => (options.finish ? socket.end(request) : socket.write(request)));
    const chunks: Buffer[] = [];
    socket.setTimeout(3_000, () => socket.destroy(new Error("no answer within 3 s")));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => socket.end());
    socket.on("error", reject);
    socket.on("close", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      // Skip an interim 100 Continue; the final answer follows it.
      const final = raw.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "");
      const [head = "", body = ""] = final.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      resolve({ raw, statusCode: Number(statusLine.split(" ")[1]), headers, body });
    });
  });
}

function expectEnvelope(answer: RawAnswer, status: number, code: string, message?: string) {
  expect(answer.statusCode, answer.raw).toBe(status);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(answer.headers["x-request-id"]);
  if (message) expect(body.error.message).toBe(message);
  return body;
}

const key = auth()["x-api-key"];

describe("requests Node's HTTP parser refuses", () => {
  it.each([
    ["a broken chunk size", `POST /v1/sessions HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ["two different Content-Lengths", `POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}`],
    ["Content-Length with Transfer-Encoding", `POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}`],
    ["a non-numeric Content-Length", `POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n{}`],
    ["an unknown method", "FOO /v1/sessions HTTP/1.1\r\nhost: x\r\n\r\n"],
    ["a space in a header name", "GET /healthz HTTP/1.1\r\nhost: x\r\nbad header: y\r\n\r\n"],
    ["a NUL in a header value", "GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\u0000b\r\n\r\n"],
    ["bytes that are not HTTP", "\u0001\u0002 garbage\r\n\r\n"],
  ])("when the request has %s, then 400 LSO_ERR_MALFORMED_BODY in the envelope, and the connection closes", async (_name, request) => {
    const answer = await rawRequest(request);
    expectEnvelope(answer, 400, "LSO_ERR_MALFORMED_BODY", "The request is not well-formed HTTP.");
    expect(answer.headers.connection).toBe("close");
  });

  it("when the header block is larger than Node allows, then 431 LSO_ERR_HEADERS_TOO_LARGE in the envelope", async () => {
    const answer = await rawRequest(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-junk: ${"a".repeat(20_000)}\r\n\r\n`);
    expectEnvelope(answer, 431, "LSO_ERR_HEADERS_TOO_LARGE", "The request headers are too large.");
  });

  it("when the body is shorter than its Content-Length and the client stops sending, then 400 in the envelope", async () => {
    const answer = await rawRequest(
      `POST /v1/sessions HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"kind":"liveness"}`,
      { finish: true },
    );
    expectEnvelope(answer, 400, "LSO_ERR_MALFORMED_BODY");
  });

  it("when the parser refuses a request, then the request id in the answer is on a log line", async () => {
    const answer = await rawRequest("FOO / HTTP/1.1\r\nhost: x\r\n\r\n");
    const { error } = expectEnvelope(answer, 400, "LSO_ERR_MALFORMED_BODY");
    expect(stack.logs.records().some((r) => r.reqId === error.requestId && r.msg === "request rejected by the HTTP parser")).toBe(true);
  });
});

describe("requests Node would answer on its own", () => {
  it("when an HTTP/1.1 request has no Host, then 400 LSO_ERR_VALIDATION in the envelope (not Node's empty 400)", async () => {
    const answer = await rawRequest("GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n");
    expectEnvelope(answer, 400, "LSO_ERR_VALIDATION", "The Host header is required.");
  });

  it("when an HTTP/1.0 request has no Host, then it is served", async () => {
    const answer = await rawRequest("GET /healthz HTTP/1.0\r\n\r\n");
    expect(answer.statusCode, answer.raw).toBe(200);
  });

  it("when Expect names something other than 100-continue, then 400 LSO_ERR_VALIDATION in the envelope (not Node's empty 417)", async () => {
    const answer = await rawRequest(`POST /v1/sessions HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\nexpect: teapot\r\ncontent-type: application/json\r\ncontent-length: 19\r\nconnection: close\r\n\r\n{"kind":"liveness"}`);
    expectEnvelope(answer, 400, "LSO_ERR_VALIDATION", "Only Expect: 100-continue is supported.");
  });

  it("when Expect is 100-continue, then the request goes through as before", async () => {
    const answer = await rawRequest(`POST /v1/sessions HTTP/1.1\r\nhost: x\r\nx-api-key: ${key}\r\nexpect: 100-continue\r\ncontent-type: application/json\r\ncontent-length: 19\r\nconnection: close\r\n\r\n{"kind":"liveness"}`);
    expect(answer.statusCode, answer.raw).toBe(201);
  });

  it("when the method is CONNECT, then 404 LSO_ERR_ROUTE_NOT_FOUND in the envelope (not a dropped connection), reusing a safe request id", async () => {
    const answer = await rawRequest("CONNECT evil.example:443 HTTP/1.1\r\nhost: evil.example:443\r\nx-request-id: connect-1\r\n\r\n");
    const { error } = expectEnvelope(answer, 404, "LSO_ERR_ROUTE_NOT_FOUND");
    expect(error.requestId).toBe("connect-1");
  });
});

describe("multipart over a real socket", () => {
  it("when a part without Content-Disposition carries 100 KB, then the create is still answered", async () => {
    // Socket chunks (up to 64 KiB) used to arm busboy's stall on such a part; the request then never finished.
    const body = `--b\r\nContent-Type: text/plain\r\n\r\n${"v".repeat(100_000)}\r\n--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\nliveness\r\n--b--\r\n`;
    const res = await fetch(`http://127.0.0.1:${port}/v1/sessions`, {
      method: "POST",
      headers: { ...auth(), "content-type": "multipart/form-data; boundary=b" },
      body,
      signal: AbortSignal.timeout(3_000),
    });
    expect(res.status).toBe(201);
  });
});
