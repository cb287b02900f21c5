import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { AccessLogController, withLazyChildren } from "../../src/plugins/access-log.js";
import { createLogger } from "../../src/logger.js";
import { auth, CapturedLogs, CLIENTS, startStack, type TestStack } from "../helpers/app-harness.js";

describe("the access line, at info", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ LOG_LEVEL: "info" });
  });
  afterAll(async () => stack.close());

  const linesOf = (reqId: string) => stack.logs.records().filter((r) => r.reqId === reqId);

  it("when a session is created, then its request writes one access line and the create's own line, and no Face line", async () => {
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions?trace=1", headers: { ...auth(), "x-request-id": "acc-create-1" }, payload: { kind: "liveness" } });
    expect(res.statusCode).toBe(201);
    const lines = linesOf("acc-create-1");
    expect(lines.map((r) => r.msg).sort()).toEqual(["request completed", "session created"]);
    const access = lines.find((r) => r.msg === "request completed");
    expect(access).toMatchObject({ level: 30, method: "POST", path: "/v1/sessions", status: 201, clientId: "acme" });
    expect(typeof access?.durationMs).toBe("number");
    expect(stack.logs.records().some((r) => r.msg === "incoming request")).toBe(false);
  });

  it("when a caller is refused, then the access line has the status and no client, and never the key", async () => {
    const res = await stack.app.inject({ method: "GET", url: "/v1/sessions/x", headers: { "x-api-key": "wrong-key-0123456789abcdef", "x-request-id": "acc-refused-1" } });
    expect(res.statusCode).toBe(401);
    const access = linesOf("acc-refused-1").find((r) => r.msg === "request completed");
    expect(access).toMatchObject({ method: "GET", path: "/v1/sessions/x", status: 401 });
    expect(access).not.toHaveProperty("clientId");
    expect(stack.logs.text).not.toContain("wrong-key-0123456789abcdef");
    expect(stack.logs.text).not.toContain(CLIENTS.acme.key);
  });

  it("when a route outside /v1 answers, then it gets its access line too", async () => {
    const res = await stack.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "acc-health-1" } });
    expect(res.statusCode).toBe(200);
    expect(linesOf("acc-health-1")).toEqual([expect.objectContaining({ msg: "request completed", path: "/healthz", status: 200 })]);
  });
});

describe("lazy request loggers", () => {
  it("when a request logger writes nothing at an enabled level, then no pino child is made", () => {
    const logs = new CapturedLogs();
    const root = createLogger("info", logs.stream);
    const child = vi.spyOn(root, "child");
    const requestLog = withLazyChildren(root).child({ reqId: "r-1" });
    requestLog.child({ clientId: "acme" }).debug("below the level");
    expect(child).not.toHaveBeenCalled();
    expect(logs.lines).toEqual([]);
  });

  it("when it writes, then the line carries every binding, through one child per logger, made once", () => {
    const logs = new CapturedLogs();
    const root = createLogger("info", logs.stream);
    const child = vi.spyOn(root, "child");
    const requestLog = withLazyChildren(root).child({ reqId: "r-2" }).child({ clientId: "acme" });
    requestLog.info({ n: 1 }, "first");
    requestLog.warn({ n: 2 }, "second");
    // Two lazy loggers (reqId, then clientId), each made real once (pino children inherit the spied child()).
    expect(child).toHaveBeenCalledTimes(2);
    expect(logs.records()).toEqual([
      expect.objectContaining({ reqId: "r-2", clientId: "acme", n: 1, msg: "first" }),
      expect.objectContaining({ reqId: "r-2", clientId: "acme", n: 2, msg: "second", level: 40 }),
    ]);
  });

  it("when it writes a secret-bearing field, then the root's redaction still applies", () => {
    const logs = new CapturedLogs();
    const requestLog = withLazyChildren(createLogger("trace", logs.stream)).child({ reqId: "r-3" });
    requestLog.trace({ authToken: "tok-secret-123", headers: { "x-api-key": "key-secret-456" } }, "careless");
    expect(logs.text).not.toContain("tok-secret-123");
    expect(logs.text).not.toContain("key-secret-456");
    expect(logs.records()[0]).toMatchObject({ reqId: "r-3", authToken: "[redacted]" });
  });

  it("when Fastify is given the root with lazy children, then a request that writes nothing makes no pino child, and one that writes gets its reqId and the root's redaction", async () => {
    const logs = new CapturedLogs();
    const root = createLogger("info", logs.stream);
    const child = vi.spyOn(root, "child");
    // The access lines go to a silent logger: only the routes' own lines are looked at.
    const app = Fastify({ loggerInstance: withLazyChildren(root), logController: new AccessLogController(createLogger("silent")) });
    app.get("/quiet", async (request) => {
      request.log.debug("below the level");
      return "ok";
    });
    app.get("/loud", async (request) => {
      request.log.info({ authToken: "tok-secret-789" }, "wrote");
      return "ok";
    });
    await app.ready();
    const made = child.mock.calls.length;
    expect((await app.inject({ method: "GET", url: "/quiet", headers: { "x-request-id": "q-1" } })).statusCode).toBe(200);
    expect(child.mock.calls.length).toBe(made);
    expect((await app.inject({ method: "GET", url: "/loud" })).statusCode).toBe(200);
    expect(logs.text).not.toContain("tok-secret-789");
    expect(logs.records()).toEqual([expect.objectContaining({ msg: "wrote", reqId: expect.any(String), authToken: "[redacted]" })]);
    await app.close();
  });
});
