/** fast-check arbitraries for raw HTTP/1.1 requests, for what inject cannot express: framing, versions, slow clients. */
import fc from "fast-check";
import { createJsonBody } from "./hostile-json-arbitraries.js";
import { multipartBody } from "./hostile-multipart-arbitraries.js";
import { idSegment } from "./hostile-path-arbitraries.js";

export interface RawRequestSpec {
  /** The bytes to send, in the pieces they are sent in. */
  pieces: Buffer[];
  /** Pause between pieces: a slow client. */
  pauseMs: number;
  /**
   * Half-close after the last piece: only for a request that is incomplete on purpose (the server answers the FIN).
   * A complete request must not be half-closed: Node aborts a request whose client has ended, answered or not.
   */
  halfClose: boolean;
  /** The first request's method, to know whether its answer has a body. */
  method: string;
}

const rawMethod = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom("GET", "POST", "DELETE", "HEAD") },
  { weight: 3, arbitrary: fc.constantFrom("PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT", "SEARCH", "PROPFIND", "M-SEARCH", "QUERY") },
  { weight: 2, arbitrary: fc.constantFrom("FOO", "get", "Get", "G\u0000ET", "", "PRI", "GET GET", "POST\t", "ÄÖÜ", "X".repeat(100)) },
);

const rawTarget = (realIds: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("/v1/sessions", "/healthz", "/readyz", "/openapi.json", ...realIds.map((id) => `/v1/sessions/${id}`), ...realIds.map((id) => `/v1/sessions/${id}/image`)) },
    { weight: 2, arbitrary: idSegment(realIds).map((id) => `/v1/sessions/${id}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "*", "http://evil.example/healthz", "//healthz", "healthz", "", "/", "/%", "/v1/sessions/%00", "/v1/sessions/a b", "/v1/sessions/\u0000",
        "/v1/sessions/\r\nx-injected: 1", "/v1/sessions/ü", "/v1/sessions/\u00ff\u00fe", `/${"a".repeat(10_000)}`, "/healthz?%", "/healthz#frag", "/v1/sessions/..%2F..%2Fhealthz",
      ),
    },
  );

const rawVersion = fc.oneof(
  { weight: 12, arbitrary: fc.constant("HTTP/1.1") },
  { weight: 1, arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/9.9", "http/1.1", "HTTP/1.1 extra", "HTTP/1", "") },
);

type HeaderLine = string;

const rawBody: fc.Arbitrary<{ type: string; bytes: Buffer } | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ type: "application/json", bytes: Buffer.from('{"kind":"liveness","deviceCorrelationId":"raw-http"}') }) },
  { weight: 3, arbitrary: createJsonBody.filter((b) => b.length < 200_000).map((bytes) => ({ type: "application/json", bytes })) },
  { weight: 2, arbitrary: multipartBody.filter((m) => m.body.length < 200_000).map((m) => ({ type: m.contentType ?? "multipart/form-data", bytes: m.body })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => ({ type: "application/octet-stream", bytes: Buffer.from(bytes) })) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

const framing = fc.constantFrom(
  "length", "length", "length", "length", "length", "length", "length", "length", "chunked", "chunked", "chunked",
  "chunkedBroken", "chunkedUnterminated", "lengthShort", "lengthLong", "lengthDuplicateSame", "lengthDuplicateDifferent", "lengthInvalid",
  "lengthAndChunked", "transferEncodingOdd", "noLength", "pipelined",
);

const chunked = (bytes: Buffer, pieces: number): Buffer => {
  const out: Buffer[] = [];
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.subarray(at, at + size);
    out.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  out.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(out);
};

const rawDimensions = ["method", "target", "version", "host", "apiKey", "requestId", "junk", "lineEnd", "body", "framing"] as const;
type RawDimension = (typeof rawDimensions)[number];

/** A raw HTTP/1.1 exchange: request line, headers (repeated, missing, malformed), body and framing, sent slowly or not. */
export function rawRequest(validKeys: readonly string[], realIds: readonly string[]): fc.Arbitrary<RawRequestSpec> {
  const valid = fc.constantFrom(...validKeys);
  const headerSet = fc.record({
    host: fc.constantFrom<HeaderLine[]>(["host: 127.0.0.1"], ["host: 127.0.0.1"], ["host: 127.0.0.1"], [], ["host: a", "host: b"], ["host: "], ["host: evil.example:99999"]),
    apiKey: fc.oneof(
      { weight: 6, arbitrary: valid.map((k) => [`x-api-key: ${k}`]) },
      { weight: 1, arbitrary: fc.constant<HeaderLine[]>([]) },
      { weight: 1, arbitrary: fc.tuple(valid, valid).map(([a, b]) => [`x-api-key: ${a}`, `x-api-key: ${b}`]) },
      { weight: 1, arbitrary: valid.map((k) => [`x-api-key: ${k}`, "x-api-key: wrong"]) },
      { weight: 1, arbitrary: fc.constantFrom<HeaderLine[]>(["x-api-key:"], ["x-api-key: \u0000"], [`x-api-key: ${"k".repeat(20_000)}`], ["X-API-KEY : x"]) },
    ),
    requestId: fc.oneof(
      { weight: 3, arbitrary: fc.constant<HeaderLine[]>([]) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/).map((id) => [`x-request-id: ${id}`]) },
      { weight: 1, arbitrary: fc.constantFrom<HeaderLine[]>(["x-request-id: a", "x-request-id: b"], ['x-request-id: evil"{}'], ["x-request-id: ü"], [`x-request-id: ${"r".repeat(300)}`]) },
    ),
    junk: fc.oneof(
      { weight: 4, arbitrary: fc.constant<HeaderLine[]>([]) },
      {
        weight: 2,
        arbitrary: fc.constantFrom<HeaderLine[]>(
          ["bad header: x"], ["x-nul: a\u0000b"], ["x-folded: a", " continued"], ["no-colon-here"], [": empty-name"], [`x-long-name-${"n".repeat(5_000)}: v`],
          ["expect: teapot"], ["expect: 100-continue"], ["connection: upgrade", "upgrade: websocket"], ["content-encoding: gzip"], ["x-del: \u007f"], ["x-latin: \u00e9"],
          ["te: trailers"], ["trailer: x-a"], ["content-type: application/json", "content-type: text/plain"], [`x-many: ${"v".repeat(7_000)}`, `x-more: ${"v".repeat(7_000)}`],
        ),
      },
    ),
    keepAlive: fc.constantFrom(false, false, false, true),
    lineEnd: fc.constantFrom("\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\n"),
  });
  return fc
    .record({
      method: rawMethod,
      target: rawTarget(realIds),
      version: rawVersion,
      headers: headerSet,
      body: rawBody,
      framing,
      cut: fc.array(fc.nat(), { maxLength: 3 }),
      slow: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
      lengthJunk: fc.constantFrom("abc", "-1", "+5", "1e3", "0x10", "99999999999999999999", "5 5", "", "1.0"),
      transferEncoding: fc.constantFrom("chunked, identity", "identity", "gzip", "xchunked", "chunked\u0000", "CHUNKED", "gzip, chunked"),
      // Which parts of the request are hostile: often just one, so the others reach the application intact.
      faults: fc.oneof({ weight: 3, arbitrary: fc.subarray([...rawDimensions], { maxLength: 1 }) }, { weight: 2, arbitrary: fc.subarray([...rawDimensions]) }),
      cleanTarget: fc.constantFrom("/v1/sessions", "/healthz", ...realIds.map((id) => `/v1/sessions/${id}`)),
      cleanKey: valid,
    })
    .map((generated) => {
      const hostile = (dimension: RawDimension) => generated.faults.includes(dimension);
      const cleanTarget = generated.cleanTarget;
      const r = {
        ...generated,
        target: hostile("target") ? generated.target : cleanTarget,
        method: hostile("method") ? generated.method : cleanTarget === "/v1/sessions" ? "POST" : "GET",
        version: hostile("version") ? generated.version : "HTTP/1.1",
        body: hostile("body") ? generated.body : cleanTarget === "/v1/sessions" ? { type: "application/json", bytes: Buffer.from('{"kind":"liveness"}') } : undefined,
        framing: hostile("framing") ? generated.framing : generated.framing === "chunked" ? "chunked" : "length",
        headers: {
          ...generated.headers,
          host: hostile("host") ? generated.headers.host : ["host: 127.0.0.1"],
          apiKey: hostile("apiKey") ? generated.headers.apiKey : [`x-api-key: ${generated.cleanKey}`],
          requestId: hostile("requestId") ? generated.headers.requestId : [],
          junk: hostile("junk") ? generated.headers.junk : [],
          lineEnd: hostile("lineEnd") ? generated.headers.lineEnd : "\r\n",
        },
      };
      const eol = r.headers.lineEnd;
      const body = r.body?.bytes;
      // Deleting a fixture would only blunt the cases that follow.
      const method = r.method === "DELETE" && realIds.some((id) => r.target.includes(id)) ? "GET" : r.method;
      const lines: string[] = [`${method} ${r.target} ${r.version}`.trimEnd(), ...r.headers.host, ...r.headers.apiKey, ...r.headers.requestId, ...r.headers.junk];
      if (r.body) lines.push(`content-type: ${r.body.type}`);
      let payload: Buffer = Buffer.alloc(0);
      let halfClose = false;
      const length = body?.length ?? 0;
      switch (r.framing) {
        case "length":
        case "pipelined":
          if (body) lines.push(`content-length: ${length}`);
          payload = body ?? payload;
          break;
        case "chunked":
          lines.push("transfer-encoding: chunked");
          payload = chunked(body ?? Buffer.alloc(0), 1 + (r.cut.length % 3));
          break;
        case "chunkedBroken":
          lines.push("transfer-encoding: chunked");
          payload = Buffer.concat([Buffer.from("zz\r\n"), body ?? Buffer.from("x"), Buffer.from("\r\n0\r\n\r\n")]);
          break;
        case "chunkedUnterminated":
          lines.push("transfer-encoding: chunked");
          payload = chunked(body ?? Buffer.from("x"), 2).subarray(0, -5);
          halfClose = true;
          break;
        case "lengthShort":
          lines.push(`content-length: ${Math.max(0, length - 3)}`);
          payload = body ?? Buffer.from("xyz");
          break;
        case "lengthLong":
          lines.push(`content-length: ${length + 10}`);
          payload = body ?? payload;
          halfClose = true;
          break;
        case "lengthDuplicateSame":
          lines.push(`content-length: ${length}`, `content-length: ${length}`);
          payload = body ?? payload;
          break;
        case "lengthDuplicateDifferent":
          lines.push(`content-length: ${length}`, `content-length: ${length + 1}`);
          payload = body ?? payload;
          break;
        case "lengthInvalid":
          lines.push(`content-length: ${r.lengthJunk}`);
          payload = body ?? payload;
          break;
        case "lengthAndChunked":
          lines.push(`content-length: ${length}`, "transfer-encoding: chunked");
          payload = chunked(body ?? Buffer.from("x"), 1);
          break;
        case "transferEncodingOdd":
          lines.push(`transfer-encoding: ${r.transferEncoding}`);
          payload = chunked(body ?? Buffer.from("x"), 1);
          break;
        case "noLength":
          payload = body ?? payload;
          break;
      }
      if (!r.headers.keepAlive) lines.push("connection: close");
      let bytes: Buffer = Buffer.concat([Buffer.from(`${lines.join(eol)}${eol}${eol}`, "latin1"), payload]);
      if (r.framing === "pipelined") bytes = Buffer.concat([bytes, Buffer.from(`GET /healthz HTTP/1.1${eol}host: x${eol}connection: close${eol}${eol}`)]);
      const cuts = [...new Set(r.cut.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let from = 0;
      for (const at of [...cuts, bytes.length]) {
        if (at > from) pieces.push(bytes.subarray(from, at));
        from = at;
      }
      return { pieces, pauseMs: r.slow, halfClose, method };
    });
}
