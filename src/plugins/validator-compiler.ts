/**
 * fastify-type-provider-zod's validator, with one change for request headers. Fastify assigns whatever a header
 * validator returns to request.headers, and from then on every read of request.headers copies the raw headers and
 * that value into a new object (Fastify's getter). A header schema here is a loose object that declares a header or
 * two and lets the rest through, so its output is the headers as they came. So only the declared headers are
 * parsed, and when parsing changed none of them the validator answers "valid" without a value: request.headers
 * stays Node's own object. Errors are the library's, from the same shape, so the envelope is unchanged.
 */
import type { FastifySchemaCompiler } from "fastify";
import { validatorCompiler as zodValidatorCompiler } from "fastify-type-provider-zod";
import { z } from "zod";

type Compiled = ReturnType<typeof zodValidatorCompiler>;

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const { schema, httpPart } = route;
  if (httpPart !== "headers" || !(schema instanceof z.ZodObject)) return zodValidatorCompiler(route);
  const declared = z.object(schema.shape);
  const names = Object.keys(schema.shape);
  const check = zodValidatorCompiler({ ...route, schema: declared }) as (data: unknown) => ReturnType<Compiled> & { value?: Record<string, unknown> };
  return (data: unknown) => {
    const result = check(data);
    if (!result.value) return result;
    const parsed = result.value;
    const headers = data as Record<string, unknown>;
    if (names.every((name) => parsed[name] === headers[name])) return true;
    return { value: { ...headers, ...parsed } };
  };
};
