/**
 * Property-based hostile multipart: missing, extra, repeated and unknown parts; files where fields belong and the
 * reverse; an oversized file; a broken, missing or mismatched boundary; odd part headers; huge names and values;
 * many parts; truncated bodies.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth } from "../helpers/app-harness.js";
import { multipartBody } from "./hostile-multipart-arbitraries.js";
import { expectCreated, type HostileStack, runParameters, shrinkWithinBudget, startHostileStack } from "./hostile-oracle.js";

/** Cases per property; together with the other files in this folder, over 5 000. */
const RUNS = { multipart: 800 } as const;

let stack: HostileStack;
beforeAll(async () => {
  stack = await startHostileStack();
});
afterAll(async () => stack.close());

describe("hostile multipart", () => {
  it(`when POST /v1/sessions gets any multipart body (${RUNS.multipart} cases), then it answers 201 or an enveloped 4xx and stays healthy`, async () => {
    await fc.assert(
      fc.asyncProperty(multipartBody, shrinkWithinBudget(async ({ contentType, body }) => {
        const answer = await stack.send(
          { method: "POST", url: "/v1/sessions", headers: { ...auth(), ...(contentType === undefined ? {} : { "content-type": contentType }) }, payload: body },
          `content-type=${JSON.stringify(contentType)} body=${JSON.stringify(body.subarray(0, 600).toString("latin1"))}`,
        );
        if (answer.statusCode === 201) expectCreated(answer, "multipart create");
        // Validation errors name fields under body.*, never a prototype member mistaken for a repeated field.
        if (answer.statusCode === 400) {
          const fields = (JSON.parse(answer.body) as { error: { fields?: { path: string; message: string }[] } }).error.fields ?? [];
          for (const field of fields) expect(field.path, answer.body).toMatch(/^body(\.|$)/);
        }
      })),
      runParameters(RUNS.multipart),
    );
    await stack.expectHealthy();
  }, 60_000);
});
