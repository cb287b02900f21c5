/**
 * Property-based hostile JSON: create bodies that are valid, nearly valid, of the wrong types, huge, full of odd
 * unicode, 20 000 levels deep, polluting, or not JSON at all; and bodies sent to routes that take none.
 */
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, it } from "vitest";
import { auth } from "../helpers/app-harness.js";
import { contentTypeHeader } from "./hostile-header-arbitraries.js";
import { createJsonBody, hostileJsonValue, toJsonText } from "./hostile-json-arbitraries.js";
import { expectCreated, headersOf, type HostileStack, runParameters, shrinkWithinBudget, startHostileStack } from "./hostile-oracle.js";

/** Cases per property; together with the other files in this folder, over 5 000. */
const RUNS = { createBody: 1_500, bodyOnOtherRoutes: 300 } as const;

let stack: HostileStack;
beforeAll(async () => {
  stack = await startHostileStack();
});
afterAll(async () => stack.close());

describe("hostile JSON bodies", () => {
  it(`when POST /v1/sessions gets any JSON, broken JSON or non-JSON body (${RUNS.createBody} cases), then it answers 201 or an enveloped 4xx and stays healthy`, async () => {
    const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant<string | string[] | undefined>("application/json") }, { weight: 1, arbitrary: contentTypeHeader });
    await fc.assert(
      fc.asyncProperty(createJsonBody, contentType, shrinkWithinBudget(async (payload, type) => {
        const answer = await stack.send(
          { method: "POST", url: "/v1/sessions", headers: headersOf({ ...auth(), "content-type": type }), payload },
          `content-type=${JSON.stringify(type)} body=${JSON.stringify(payload.subarray(0, 200).toString("utf8"))}`,
        );
        if (answer.statusCode === 201) expectCreated(answer, "create");
      })),
      runParameters(RUNS.createBody),
    );
    await stack.expectHealthy();
  }, 60_000);

  it(`when a body is sent to a route that takes none (${RUNS.bodyOnOtherRoutes} cases), then the route ignores or refuses it in the envelope`, async () => {
    const route = fc.constantFrom<{ method: InjectOptions["method"]; url: () => string }>(
      { method: "GET", url: () => `/v1/sessions/${stack.ids.ownWithImage}` },
      { method: "GET", url: () => `/v1/sessions/${stack.ids.ownWithImage}/image` },
      { method: "DELETE", url: () => `/v1/sessions/${crypto.randomUUID()}` },
      { method: "GET", url: () => "/healthz" },
      { method: "GET", url: () => "/readyz" },
      { method: "POST", url: () => "/healthz" },
      { method: "PUT", url: () => "/v1/sessions" },
      { method: "PATCH", url: () => `/v1/sessions/${stack.ids.ownVerify}` },
    );
    const body = fc.oneof(hostileJsonValue.map(toJsonText), fc.constantFrom("{", "", "x".repeat(70 * 1024)));
    await fc.assert(
      fc.asyncProperty(route, body, contentTypeHeader, shrinkWithinBudget(async (r, payload, type) => {
        await stack.send(
          { method: r.method, url: r.url(), headers: headersOf({ ...auth(), "content-type": type }), payload },
          `content-type=${JSON.stringify(type)} body=${JSON.stringify(payload.slice(0, 200))}`,
        );
      })),
      runParameters(RUNS.bodyOnOtherRoutes),
    );
    await stack.expectHealthy();
  }, 60_000);
});
