import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import { livenessSessionReply, makeGateway } from "./face-test-kit.js";

/**
 * The same gateway against a real HTTP server on 127.0.0.1 (no nock): proves plain http works for a loopback
 * emulator, and that timeouts and refused connections behave on real sockets, not just under interception.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const openSockets = new Set<Socket>();

async function serve(handler: Handler): Promise<{ endpoint: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  server.on("connection", (socket) => {
    openSockets.add(socket);
    socket.on("close", () => openSockets.delete(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  for (const socket of openSockets) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const createParams = { livenessOperationMode: "Passive", authTokenTimeToLiveInSeconds: 600, enableSessionImage: false } as const;

describe("Face over plain http on loopback", () => {
  it("when the endpoint is http://127.0.0.1, then calls are allowed and succeed", async () => {
    const { endpoint, requests } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "apim-request-id": "loopback-1" });
      res.end(JSON.stringify(livenessSessionReply()));
    });
    const reply = await makeGateway({ endpoint }).gateway.createLivenessSession(createParams);
    expect(reply.requestId).toBe("loopback-1");
    expect(requests).toEqual(["POST /face/v1.2/detectLiveness-sessions"]);
  });

  it("when Face never answers, then the create times out once, near timeoutMs", async () => {
    const { endpoint, requests } = await serve(() => undefined);
    const started = Date.now();
    await expect(makeGateway({ endpoint, timeoutMs: 100 }).gateway.createLivenessSession(createParams)).rejects.toMatchObject({
      code: "LSO_ERR_UPSTREAM_TIMEOUT",
      statusCode: 504,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requests).toHaveLength(1);
  });

  it("when the deadline passes, then the request in flight is aborted: its connection is closed, not left waiting", async () => {
    let closed: Promise<unknown> | undefined;
    const { endpoint } = await serve((req) => {
      closed = once(req.socket, "close");
    });
    await expect(makeGateway({ endpoint, timeoutMs: 100 }).gateway.createLivenessSession(createParams)).rejects.toMatchObject({
      code: "LSO_ERR_UPSTREAM_TIMEOUT",
    });
    // Only an aborted request closes its keep-alive connection; one left waiting would hold it open until Face answered.
    await closed;
    expect(openSockets.size).toBe(0);
  });

  it("when the image headers arrive but the body stalls, then the deadline still applies", async () => {
    const { endpoint } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(Buffer.alloc(1024, 0xff)); // then nothing more
    });
    await expect(makeGateway({ endpoint, timeoutMs: 100 }).gateway.getSessionImage("img-1")).rejects.toMatchObject({
      code: "LSO_ERR_UPSTREAM_TIMEOUT",
    });
  });

  it("when nothing listens on the port, then it is LSO_ERR_UPSTREAM_UNAVAILABLE with retryAfterSeconds 1", async () => {
    const { endpoint } = await serve(() => undefined);
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    await expect(makeGateway({ endpoint }).gateway.getSession("liveness", "x")).rejects.toMatchObject({
      code: "LSO_ERR_UPSTREAM_UNAVAILABLE",
      statusCode: 503,
      retryAfterSeconds: 1,
    });
  });
});
