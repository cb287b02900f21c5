/** Header validation: declared headers parsed, the rest left alone, and request.headers left as Node made it. */
import { validatorCompiler as zodValidatorCompiler } from "fastify-type-provider-zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { validatorCompiler } from "../../src/plugins/validator-compiler.js";

const compile = (schema: z.ZodType, httpPart = "headers") => validatorCompiler({ schema, httpPart, method: "GET", url: "/x" }) as (data: unknown) => unknown;
const headersSchema = z.looseObject({ "if-none-match": z.string().max(10).optional() });
const headers = { host: "x", "x-api-key": "k", "if-none-match": '"abc"' };

describe("validatorCompiler", () => {
  it("when the declared headers are valid and parsing changes none of them, then it answers valid without a value, so Fastify keeps Node's headers object", () => {
    expect(compile(headersSchema)(headers)).toBe(true);
    expect(compile(headersSchema)({ host: "x" })).toBe(true);
  });

  it("when a declared header is invalid, then the error is the one the library's validator gives", () => {
    const bad = { ...headers, "if-none-match": "x".repeat(11) };
    const ours = compile(headersSchema)(bad) as { error: unknown };
    const library = zodValidatorCompiler({ schema: headersSchema, httpPart: "headers", method: "GET", url: "/x" })(bad) as { error: unknown };
    expect(ours.error).toBeDefined();
    expect(ours.error).toEqual(library.error);
  });

  it("when parsing changes a declared header, then the value is every header, with the parsed one in its place", () => {
    const trimmed = z.looseObject({ "if-none-match": z.string().trim().optional() });
    expect(compile(trimmed)({ ...headers, "if-none-match": ' "abc" ' })).toEqual({ value: headers });
  });

  it("when the part is not the headers, then it is the library's validator, with its value", () => {
    expect(compile(z.object({ id: z.coerce.number() }), "params")({ id: "7" })).toEqual({ value: { id: 7 } });
  });
});
