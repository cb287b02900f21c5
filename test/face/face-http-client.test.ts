import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";

import { createHttpHeaders, createPipelineRequest, type PipelineRequestOptions } from "@azure/core-rest-pipeline";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { FaceAbortSignal } from "../../src/face/face-abort-signal.js";
import { createFaceHttpClient, type FaceHttpClient } from "../../src/face/face-http-client.js";

/** What the server saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A real server on an ephemeral port; each test says how it answers. */
let server: Server;
let base: string;
let seen: Seen[] = [];
let connections = 0;
let answer: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = (_req, res) => res.end("ok");

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
    answer(req, res, body);
  });
  server.on("connection", () => (connections += 1));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let client: FaceHttpClient;
afterEach(async () => {
  await client.close();
  seen = [];
  connections = 0;
  answer = (_req, res) => res.end("ok");
});

function request(options: Partial<PipelineRequestOptions> & { body?: unknown; streamResponseStatusCodes?: Set<number> } = {}) {
  const { body, streamResponseStatusCodes, ...rest } = options;
  const req = createPipelineRequest({ url: `${base}/face/v1.2/x?q=1`, method: "POST", allowInsecureConnection: true, ...rest });
  req.body = body as typeof req.body;
  if (streamResponseStatusCodes) req.streamResponseStatusCodes = streamResponseStatusCodes;
  return req;
}

describe("request bodies, as the Face SDK's pipeline leaves them", () => {
  const bytes = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x80, 0xfe]);

  it.each([
    ["a JSON string", () => '{"livenessOperationMode":"Passive"}', Buffer.from('{"livenessOperationMode":"Passive"}')],
    ["a Uint8Array", () => bytes, Buffer.from(bytes)],
    ["an ArrayBuffer", () => bytes.slice().buffer, Buffer.from(bytes)],
    ["a DataView over part of a buffer", () => new DataView(Uint8Array.from([9, ...bytes, 9]).buffer, 1, bytes.length), Buffer.from(bytes)],
    ["a Blob", () => new Blob([bytes]), Buffer.from(bytes)],
    ["a web ReadableStream", () => new Blob([bytes]).stream(), Buffer.from(bytes)],
    // What the multipart policy leaves for a verify-with-image create: a function that returns a fresh Node stream.
    ["a function returning a Node stream", () => () => Readable.from([Buffer.from("--b\r\n"), Buffer.from(bytes), Buffer.from("\r\n--b--")]), Buffer.concat([Buffer.from("--b\r\n"), Buffer.from(bytes), Buffer.from("\r\n--b--")])],
  ])("when the body is %s, then the server receives its bytes intact", async (_name, make, expected) => {
    client = createFaceHttpClient();
    const response = await client.sendRequest(request({ body: make() }));
    expect(response.status).toBe(200);
    expect(response.bodyAsText).toBe("ok");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body.equals(expected)).toBe(true);
  });

  it("when the body is FormData, then it arrives as multipart with its boundary in the content type", async () => {
    client = createFaceHttpClient();
    const form = new FormData();
    form.set("livenessOperationMode", "Passive");
    form.set("verifyImage", new Blob([bytes], { type: "image/jpeg" }), "verify.jpg");
    await client.sendRequest(request({ body: form }));
    const contentType = String(seen[0]!.headers["content-type"]);
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const text = seen[0]!.body.toString("latin1");
    expect(text).toContain('name="livenessOperationMode"\r\n\r\nPassive');
    expect(text).toContain('filename="verify.jpg"');
    expect(seen[0]!.body.includes(Buffer.from(bytes))).toBe(true);
  });

  it("when the pipeline set headers, then each is sent with the method, path and query", async () => {
    client = createFaceHttpClient();
    const headers = createHttpHeaders({ "ocp-apim-subscription-key": "k-123", "x-ms-client-request-id": "rid-1", "content-type": "application/json" });
    await client.sendRequest(request({ method: "PUT", headers, body: "{}" }));
    expect(seen[0]).toMatchObject({ method: "PUT", url: "/face/v1.2/x?q=1" });
    expect(seen[0]!.headers).toMatchObject({ "ocp-apim-subscription-key": "k-123", "x-ms-client-request-id": "rid-1", "content-type": "application/json" });
  });
});

describe("replies", () => {
  it("when Face answers with headers, then status, headers and text come back (repeated headers joined)", async () => {
    answer = (_req, res) => {
      res.writeHead(429, [["apim-request-id", "a-1"], ["retry-after", "2"], ["x-many", "a"], ["x-many", "b"]]);
      res.end('{"error":{"code":"TooManyRequests"}}');
    };
    client = createFaceHttpClient();
    const response = await client.sendRequest(request({ method: "GET" }));
    expect(response.status).toBe(429);
    expect(response.headers.get("apim-request-id")).toBe("a-1");
    expect(response.headers.get("retry-after")).toBe("2");
    expect(response.headers.get("x-many")).toBe("a, b");
    expect(response.bodyAsText).toBe('{"error":{"code":"TooManyRequests"}}');
  });

  it("when the status is one the caller streams, then the body is a Node stream of the decoded bytes", async () => {
    const image = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 37) % 256));
    answer = (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-type": "application/octet-stream" });
      res.end(gzipSync(image));
    };
    client = createFaceHttpClient();
    const response = await client.sendRequest(request({ method: "GET", streamResponseStatusCodes: new Set([200]) }));
    expect(response.bodyAsText).toBeUndefined();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody as Readable) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(image)).toBe(true);
  });

  it("when a HEAD is answered, then there is no body and the next call still works", async () => {
    client = createFaceHttpClient();
    const head = await client.sendRequest(request({ method: "HEAD" }));
    const next = await client.sendRequest(request({ method: "GET" }));
    expect(head.status).toBe(200);
    expect(head.bodyAsText).toBeUndefined();
    expect(next.bodyAsText).toBe("ok");
  });

  it("when calls follow one another, then they reuse keep-alive connections rather than one each", async () => {
    client = createFaceHttpClient();
    for (let i = 0; i < 20; i++) await client.sendRequest(request({ body: `{"n":${i}}` }));
    expect(seen).toHaveLength(20);
    expect(connections).toBeLessThanOrEqual(2);
  });
});

describe("abort, timeout and failures", () => {
  /** A server that takes the request and never answers. */
  const hang = () => {
    answer = () => undefined;
  };

  // The pipeline hands down the caller's AbortSignal, or a Face call's own (face-abort-signal.ts): both work alike.
  const signals = [
    { kind: "the caller's AbortSignal", make: () => new AbortController() },
    { kind: "a Face call's own signal", make: () => new FaceAbortSignal() },
  ].map(({ kind, make }) => ({
    kind,
    make: () => {
      const source = make();
      return { signal: "signal" in source ? source.signal : source, abort: () => source.abort() };
    },
  }));

  it.each(signals)("when $kind aborts mid-flight, then the call rejects with an AbortError", async ({ make }) => {
    hang();
    client = createFaceHttpClient();
    const { signal, abort } = make();
    const pending = client.sendRequest(request({ abortSignal: signal }));
    // Mid-flight: the server has the request.
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it.each(signals)("when $kind is already aborted, then nothing is sent", async ({ make }) => {
    client = createFaceHttpClient();
    const { signal, abort } = make();
    abort();
    await expect(client.sendRequest(request({ abortSignal: signal }))).rejects.toMatchObject({ name: "AbortError" });
    expect(seen).toHaveLength(0);
  });

  it("when request.timeout passes without an answer, then the call is aborted", async () => {
    hang();
    client = createFaceHttpClient();
    await expect(client.sendRequest(request({ timeout: 50 }))).rejects.toMatchObject({ name: "AbortError" });
  });

  it("when a streamed body stalls and the caller aborts, then the stream fails", async () => {
    answer = (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(Buffer.alloc(10));
    };
    client = createFaceHttpClient();
    const controller = new AbortController();
    const response = await client.sendRequest(request({ method: "GET", abortSignal: controller.signal, streamResponseStatusCodes: new Set([200]) }));
    const drained = (async () => {
      for await (const chunk of response.readableStreamBody as Readable) void chunk;
    })();
    controller.abort();
    await expect(drained).rejects.toThrow();
  });

  it("when plain http is not allowed, then the call is refused before anything is sent", async () => {
    client = createFaceHttpClient();
    await expect(client.sendRequest(request({ allowInsecureConnection: false }))).rejects.toMatchObject({ name: "RestError" });
    expect(seen).toHaveLength(0);
  });

  it("when nothing listens on the port, then the error carries ECONNREFUSED and no reply text", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    client = createFaceHttpClient();
    await expect(client.sendRequest(createPipelineRequest({ url: `http://127.0.0.1:${port}/x`, allowInsecureConnection: true }))).rejects.toMatchObject({
      name: "RestError",
      code: "ECONNREFUSED",
    });
  });

  it("when the server drops the connection mid-reply, then the error carries ECONNRESET", async () => {
    answer = (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial");
      res.socket?.destroy();
    };
    client = createFaceHttpClient();
    await expect(client.sendRequest(request())).rejects.toMatchObject({ name: "RestError", code: "ECONNRESET" });
  });

  it("when the client is closed, then a later call fails instead of opening a connection", async () => {
    client = createFaceHttpClient();
    await client.sendRequest(request());
    await client.close();
    await expect(client.sendRequest(request())).rejects.toMatchObject({ name: "RestError", code: "ECONNABORTED" });
    expect(seen).toHaveLength(1);
  });
});
