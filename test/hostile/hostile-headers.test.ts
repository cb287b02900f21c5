/**
 * Property-based hostile headers on every route: x-api-key missing, empty, repeated, huge or nearly right;
 * content-type missing, repeated or with odd parameters; content-length that lies; junk x-request-id; junk headers.
 */
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FACE_KEY } from "../helpers/app-harness.js";
import { adminKeyHeader, apiKeyHeader, contentLengthHeader, contentTypeHeader, junkHeaders, requestIdHeader } from "./hostile-header-arbitraries.js";
import { createJsonBody } from "./hostile-json-arbitraries.js";
import { multipartBody } from "./hostile-multipart-arbitraries.js";
import { API_KEYS, headersOf, type HostileStack, OPERATOR_KEY, runParameters, shrinkWithinBudget, startHostileStack } from "./hostile-oracle.js";

/** Cases per property; together with the other files in this folder, over 5 000. */
const RUNS = { headers: 1_000, readyz: 300 } as const;

let stack: HostileStack;
beforeAll(async () => {
  stack = await startHostileStack();
});
afterAll(async () => stack.close());

type Route = { method: InjectOptions["method"]; url: () => string; body?: "json" | "multipart" };

const routes: fc.Arbitrary<Route> = fc.constantFrom<Route>(
  { method: "POST", url: () => "/v1/sessions", body: "json" },
  { method: "POST", url: () => "/v1/sessions", body: "multipart" },
  { method: "GET", url: () => `/v1/sessions/${stack.ids.ownWithImage}` },
  { method: "GET", url: () => `/v1/sessions/${stack.ids.othersSession}` },
  { method: "GET", url: () => `/v1/sessions/${stack.ids.ownWithImage}/image` },
  { method: "DELETE", url: () => `/v1/sessions/${crypto.randomUUID()}` },
  { method: "GET", url: () => "/healthz" },
  { method: "GET", url: () => "/readyz" },
  { method: "GET", url: () => "/openapi.json" },
  { method: "GET", url: () => "/v1/nothing-here" },
);

describe("hostile headers", () => {
  it(`when any route gets hostile or duplicated headers (${RUNS.headers} cases), then it answers 2xx or an enveloped 4xx and never echoes unsafe ids`, async () => {
    const request = fc.record({
      route: routes,
      apiKey: apiKeyHeader(API_KEYS, FACE_KEY),
      contentType: contentTypeHeader,
      contentLength: contentLengthHeader,
      requestId: requestIdHeader,
      junk: junkHeaders,
      json: createJsonBody,
      multipart: multipartBody,
    });
    await fc.assert(
      fc.asyncProperty(request, shrinkWithinBudget(async (r) => {
        let payload: Buffer | undefined;
        let contentType = r.contentType;
        if (r.route.body === "json") payload = r.json;
        if (r.route.body === "multipart") {
          payload = r.multipart.body;
          // Mostly the body's own content-type, so the multipart parser is reached; sometimes a hostile one.
          if (typeof contentType === "string" && contentType.startsWith("application/json")) contentType = r.multipart.contentType;
        }
        const length = payload?.length ?? 0;
        const contentLength =
          r.contentLength === "match" ? undefined : r.contentLength === "plusOne" ? String(length + 1) : r.contentLength === "minusOne" ? String(Math.max(0, length - 1)) : r.contentLength;
        const headers = headersOf({
          ...r.junk,
          "x-api-key": r.apiKey,
          "content-type": payload === undefined && r.contentType === "application/json" ? undefined : contentType,
          "content-length": contentLength,
          "x-request-id": r.requestId,
        });
        const answer = await stack.send(
          { method: r.route.method, url: r.route.url(), headers, ...(payload === undefined ? {} : { payload }) },
          `headers=${JSON.stringify(headers).slice(0, 400)}`,
        );
        // A safe incoming id is reused; anything else is replaced, never echoed.
        if (typeof r.requestId === "string" && /^[A-Za-z0-9._:-]{1,128}$/.test(r.requestId)) expect(answer.headers["x-request-id"]).toBe(r.requestId);
        // Without the right key, nothing under /v1 answers 2xx.
        const validKey = typeof r.apiKey === "string" && API_KEYS.includes(r.apiKey);
        if (!validKey && r.route.url().startsWith("/v1/")) expect(answer.statusCode, answer.body).toBeGreaterThanOrEqual(400);
      })),
      runParameters(RUNS.headers),
    );
    await stack.expectHealthy();
  }, 60_000);

  it(`when /readyz gets any x-admin-key, caller key and junk headers (${RUNS.readyz} cases), then only the operator key shows the checks`, async () => {
    const request = fc.record({ adminKey: adminKeyHeader(OPERATOR_KEY), apiKey: apiKeyHeader(API_KEYS, FACE_KEY), junk: junkHeaders });
    await fc.assert(
      fc.asyncProperty(request, shrinkWithinBudget(async (r) => {
        const junk = Object.fromEntries(Object.entries(r.junk).filter(([name]) => name !== "x-admin-key"));
        const headers = headersOf({ ...junk, "x-api-key": r.apiKey, "x-admin-key": r.adminKey });
        const answer = await stack.send({ method: "GET", url: "/readyz", headers }, `headers=${JSON.stringify(headers).slice(0, 400)}`);
        const body = JSON.parse(answer.body) as Record<string, unknown>;
        // The checks only ever for the operator key; a wrong admin key is never answered as a probe.
        expect("checks" in body && r.adminKey !== OPERATOR_KEY, answer.body).toBe(false);
        if (r.adminKey !== undefined && r.adminKey !== OPERATOR_KEY) expect(answer.statusCode, answer.body).toBeGreaterThanOrEqual(400);
        // A probe that got through (other junk headers can refuse it first) says only its status, or all for the operator.
        if (answer.statusCode === 200) expect(Object.keys(body).sort()).toEqual(r.adminKey === OPERATOR_KEY ? ["checks", "status"] : ["status"]);
      })),
      runParameters(RUNS.readyz),
    );
    await stack.expectHealthy();
  }, 60_000);
});
