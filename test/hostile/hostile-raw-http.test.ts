/**
 * Property-based hostile HTTP over real loopback sockets, for what inject cannot express: broken framing, repeated
 * headers, lying or repeated Content-Length, Content-Length with Transfer-Encoding, malformed request lines and
 * headers, pipelining, slow and partial bodies. Bounded: a few hundred exchanges, each with a time limit.
 */
import type { Server as HttpServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth } from "../helpers/app-harness.js";
import { rawRequest, type RawRequestSpec } from "./hostile-raw-arbitraries.js";
import { type Answer, API_KEYS, expectWellFormedAnswer, type HostileStack, runParameters, shrinkWithinBudget, startHostileStack } from "./hostile-oracle.js";

/** Cases per property; together with the other files in this folder, over 5 000. */
const RUNS = { rawHttp: 300 } as const;

/** How long to wait for a first answer before sending the FIN, and then for the answer to the FIN. */
const WAIT_MS = 5_000;
/** With an answer in hand on a kept-alive connection, how long to listen for more before hanging up. */
const IDLE_MS = 50;

let stack: HostileStack;
let port: number;
beforeAll(async () => {
  stack = await startHostileStack();
  await stack.app.listen({ port: 0, host: "127.0.0.1" });
  port = (stack.app.server.address() as AddressInfo).port;
});
// Raw exchanges leave half-sent requests open on purpose; close would otherwise wait for each one's server timeout.
afterAll(async () => {
  (stack.app.server as HttpServer).closeAllConnections();
  await stack.close();
}, 60_000);

interface RawResponse extends Answer {
  statusLine: string;
}

/** Parses every complete response in `data`; `firstMethod` tells whether the first one has a body. */
function parseResponses(data: Buffer, firstMethod: string): { responses: RawResponse[]; complete: boolean } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf("\r\n\r\n", at);
    if (end < 0) return { responses, complete: false };
    const [statusLine = "", ...headerLines] = data.subarray(at, end).toString("latin1").split("\r\n");
    const statusCode = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!Number.isInteger(statusCode)) throw new Error(`not an HTTP response: ${JSON.stringify(data.subarray(at, at + 200).toString("latin1"))}`);
    const headers: Record<string, string | string[]> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const seen = headers[name];
      headers[name] = seen === undefined ? value : ([] as string[]).concat(seen, value);
    }
    let bodyStart = end + 4;
    let body: Buffer = Buffer.alloc(0);
    const noBody = statusCode < 200 || statusCode === 204 || statusCode === 304 || (responses.length === 0 && firstMethod === "HEAD");
    if (!noBody && headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (data.length < bodyStart + length) return { responses, complete: false };
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else if (!noBody && String(headers["transfer-encoding"]).includes("chunked")) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", bodyStart);
        if (lineEnd < 0) return { responses, complete: false };
        const size = parseInt(data.subarray(bodyStart, lineEnd).toString("latin1"), 16);
        if (data.length < lineEnd + 2 + size + 2) return { responses, complete: false };
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(chunks);
    } else if (!noBody) {
      // Neither length nor chunked: the body runs to the end of the connection.
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    if (statusCode >= 200) responses.push({ statusLine, statusCode, headers, body: body.toString("utf8") });
    at = bodyStart;
  }
  return { responses, complete: true };
}

/** Sends the request as specified and collects what comes back until the server closes or goes quiet. */
function exchange(spec: RawRequestSpec): Promise<{ data: Buffer; halfClosed: boolean; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const received: Buffer[] = [];
    let halfClosed = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(received), halfClosed, closed });
    };
    const halfClose = () => {
      if (!halfClosed && !socket.destroyed) {
        halfClosed = true;
        socket.end();
      }
    };
    /** No answer yet: send the FIN (once) and wait again; an answer in hand: hang up after a quiet moment. */
    const arm = () => {
      clearTimeout(timer);
      const data = Buffer.concat(received);
      const haveAnswer = data.length > 0 && safeComplete(data, spec.method);
      timer = setTimeout(() => {
        if (haveAnswer || halfClosed) return finish(false);
        halfClose();
        arm();
      }, haveAnswer ? IDLE_MS : WAIT_MS);
    };
    socket.on("data", (chunk) => {
      received.push(chunk);
      arm();
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // The server may reset a connection it refused while we were still writing; what it said before counts.
      if (error.code === "ECONNRESET" || error.code === "EPIPE") return finish(true);
      if (!settled) reject(error);
    });
    socket.on("connect", async () => {
      for (const [i, piece] of spec.pieces.entries()) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (spec.pauseMs > 0 && i < spec.pieces.length - 1) await new Promise((r) => setTimeout(r, spec.pauseMs));
      }
      if (spec.halfClose) halfClose();
      arm();
    });
  });
}

function safeComplete(data: Buffer, method: string): boolean {
  try {
    const parsed = parseResponses(data, method);
    return parsed.complete && parsed.responses.length > 0;
  } catch {
    return true;
  }
}

describe("hostile raw HTTP", () => {
  it(`when a client sends malformed, repeated, lying or slow HTTP (${RUNS.rawHttp} exchanges), then every answer is a 2xx or an enveloped 4xx`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null).chain(() => rawRequest(API_KEYS, stack.realIds)), shrinkWithinBudget(async (spec) => {
        const sent = Buffer.concat(spec.pieces);
        const context = `raw ${JSON.stringify(sent.subarray(0, 600).toString("latin1"))} halfClose=${spec.halfClose}`;
        const { data } = await exchange(spec);
        const { responses } = parseResponses(data, spec.method);
        expect(responses.length, `an answer to every request: ${context}`).toBeGreaterThan(0);
        responses.forEach((response, i) => expectWellFormedAnswer(response, i === 0 ? spec.method : "GET", `${context} (answer ${i + 1}: ${response.statusLine})`));
      })),
      runParameters(RUNS.rawHttp),
    );
    await stack.expectHealthy();
  }, 60_000);

  it("when the hostile exchanges are over, then the listening server still serves health checks and creates over HTTP", async () => {
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const created = await fetch(`${base}/v1/sessions`, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: '{"kind":"liveness"}' });
    expect(created.status).toBe(201);
  });
});
