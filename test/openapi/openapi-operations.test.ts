/**
 * What a client generator and a reader of openapi/openapi.json rely on: a stable operationId per operation, the
 * security each one needs, one response per error status (never a 4XX range) in the one envelope, and the headers
 * the server really sends.
 */
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { errorCatalog, type ErrorCode } from "../../src/errors.js";
import { OPENAPI_PATH } from "../../scripts/openapi-document.js";

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  responses: Record<string, { description: string; headers?: Record<string, { $ref: string }>; content?: Record<string, { schema: unknown }> }>;
}

let paths: Record<string, Record<string, Operation>>;
let document: { info: { license?: { name: string } }; servers?: Array<{ url: string }> };

const operations = () => Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
const byId = (id: string) => operations().find(({ op }) => op.operationId === id)!.op;
const envelope = { $ref: "#/components/schemas/ErrorEnvelope" };

beforeAll(async () => {
  document = JSON.parse(await readFile(OPENAPI_PATH, "utf8"));
  paths = (document as unknown as { paths: typeof paths }).paths;
});

describe("openapi/openapi.json operations", () => {
  it("when listed, then every operation has its own stable operationId", () => {
    expect(operations().map(({ op }) => op.operationId).sort()).toEqual(
      [
        "clearLockout",
        "completeSession",
        "createSession",
        "deleteSession",
        "eraseSubject",
        "getLiveness",
        "getLockout",
        "getMetrics",
        "getReadiness",
        "getSession",
        "getSessionAudit",
        "getSessionImage",
        "getStartup",
        "listSessions",
        "listSessionEvents",
        "redeliverWebhook",
      ].sort(),
    );
  });

  it("when read for security, then /v1 needs x-api-key, /admin x-admin-key, /readyz an optional x-admin-key, /metrics an optional bearer token, the other probes nothing", () => {
    for (const { path, op } of operations()) {
      const probe = path === "/readyz" ? [{}, { adminKey: [] }] : path === "/metrics" ? [{}, { metricsToken: [] }] : [];
      const expected = path.startsWith("/v1/") ? [{ apiKey: [] }] : path.startsWith("/admin/") ? [{ adminKey: [] }] : probe;
      expect({ path, security: op.security }).toEqual({ path, security: expected });
    }
  });

  it("when read for errors, then each status has its own response in the envelope, listing codes of that status only", () => {
    for (const { path, method, op } of operations()) {
      const statuses = Object.keys(op.responses);
      expect(statuses.filter((s) => !/^\d{3}$/.test(s)), `${method} ${path}`).toEqual([]);
      // The probes' 503 is their own body (not ready, starting), not the envelope.
      const errors = statuses.filter((s) => Number(s) >= 400 && !(["/readyz", "/startupz"].includes(path) && s === "503"));
      expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const status of errors) {
        const response = op.responses[status]!;
        expect(response.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toEqual(envelope);
        const codes = response.description.match(/LSO_ERR_[A-Z_]+/g) ?? [];
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        expect(codes.map((code) => errorCatalog[code as ErrorCode].status)).toEqual(codes.map(() => Number(status)));
      }
    }
  });

  it("when read for headers, then every answer names x-request-id; every rate-limited one RateLimit-* and a 429 with Retry-After; the probes and /metrics neither", () => {
    const exempt = ["/healthz", "/readyz", "/startupz", "/metrics"];
    for (const { path, method, op } of operations()) {
      expect(op.parameters?.[0], `${method} ${path}`).toEqual({ $ref: "#/components/parameters/RequestId" });
      const rateLimit = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
      for (const [status, response] of Object.entries(op.responses)) {
        const names = Object.keys(response.headers ?? {});
        expect(names, `${method} ${path} ${status}`).toContain("x-request-id");
        expect(rateLimit.filter((name) => names.includes(name)), `${method} ${path} ${status}`).toEqual(exempt.includes(path) ? [] : rateLimit);
      }
      // Every other route can be rate limited (per IP), so it has a 429, with Retry-After.
      expect(Object.keys(op.responses["429"]?.headers ?? {}).includes("Retry-After"), `${method} ${path}`).toBe(!exempt.includes(path));
    }
  });

  it("when a route has its own headers, then they are documented: ETag and If-None-Match on read, Idempotency-Key on create", () => {
    const read = byId("getSession");
    expect(Object.keys(read.responses["200"]!.headers!)).toContain("ETag");
    expect(Object.keys(read.responses["304"]!.headers!)).toContain("ETag");
    expect(read.parameters).toContainEqual(expect.objectContaining({ in: "header", name: "if-none-match" }));
    const create = byId("createSession");
    expect(create.parameters).toContainEqual(expect.objectContaining({ in: "header", name: "idempotency-key" }));
    expect(Object.keys(create.responses["201"]!.headers!)).toContain("Idempotent-Replayed");
    expect(Object.keys(create.responses["503"]!.headers!)).toContain("Retry-After");
  });

  it("when read for its metadata, then it names a server and the MIT licence", () => {
    expect(document.info.license).toMatchObject({ name: "MIT" });
    expect(document.servers?.length).toBeGreaterThan(0);
  });
});
