/**
 * A connection carries at most HTTP_MAX_REQUESTS_PER_SOCKET requests: a client that pipelines without end gets that
 * many answers and then the socket is closed, so it cannot make us queue answers (and memory) for ever.
 */
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack;
let port: number;
beforeAll(async () => {
  stack = await startStack({ HTTP_MAX_REQUESTS_PER_SOCKET: "3" });
  await stack.app.listen({ port: 0, host: "127.0.0.1" });
  port = (stack.app.server.address() as AddressInfo).port;
});
afterAll(async () => stack.close());

/** Writes `count` pipelined requests in one go (never half-closing) and collects what arrives until the server closes. */
function pipeline(count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(count)));
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error("the server kept the pipelining connection open")));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => socket.end());
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

describe("HTTP_MAX_REQUESTS_PER_SOCKET", () => {
  it("when a client pipelines past the per-connection limit, then at most that many requests are served and the server closes the socket", async () => {
    const raw = await pipeline(20);
    const statuses = raw.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
    expect(statuses.filter((s) => s.endsWith("200")).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => !s.endsWith("200") && !s.endsWith("503"))).toEqual([]);
  });
});
