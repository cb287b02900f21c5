/** GET /openapi.json is answered from a document built once, not re-serialised per request. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());

describe("GET /openapi.json", () => {
  it("when fetched many times, then the document is the same bytes each time and is not rebuilt per request", async () => {
    const expected = JSON.stringify(stack.app.swagger());
    const rebuild = vi.spyOn(stack.app, "swagger");
    const answers = await Promise.all(Array.from({ length: 5 }, () => stack.app.inject({ method: "GET", url: "/openapi.json" })));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body)).toEqual(Array(5).fill(expected));
    expect(answers[0]?.headers["content-type"]).toMatch(/^application\/json/);
    expect(rebuild).not.toHaveBeenCalled();
  });
});
