import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());

describe("request ids", () => {
  it("when a caller sends a safe x-request-id, then it is reused in the reply and the logs", async () => {
    const res = await stack.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "trace-abc.123" } });
    expect(res.headers["x-request-id"]).toBe("trace-abc.123");
    expect(stack.logs.records().some((r) => r.reqId === "trace-abc.123")).toBe(true);
  });

  it("when the x-request-id is unsafe, then a fresh UUID replaces it", async () => {
    const res = await stack.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": 'evil"\n{"level":60}' } });
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("when a request calls Face, then every line of it carries the request id and Face's apim-request-id is logged", async () => {
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "x-request-id": "req-create-1" }, payload: { kind: "liveness" } });
    expect(res.statusCode).toBe(201);
    const lines = stack.logs.records().filter((r) => r.reqId === "req-create-1");
    expect(lines.length).toBeGreaterThan(2);
    const faceLine = lines.find((r) => r.faceOperation === "createLivenessSession");
    expect(faceLine?.apimRequestId).toMatch(/^[0-9a-f-]{36}$/);
    // The access line included: every line of the request names the caller.
    expect(lines.some((r) => r.msg === "request completed")).toBe(true);
    expect(lines.every((r) => r.clientId === "acme")).toBe(true);
  });
});
