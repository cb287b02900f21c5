/**
 * The create route accepts two encodings, which a single zod body schema cannot express, so its OpenAPI
 * requestBody is built here from the same zod schemas that session-input.ts validates with.
 */
import { z } from "zod";
import { createSessionJsonSchema, createSessionMultipartFieldsSchema } from "./session-schemas.js";

const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });

function withoutSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, id: _id, ...rest } = schema;
  return rest;
}

const multipart = withoutSchemaKeyword(toJson(createSessionMultipartFieldsSchema));
const multipartProperties = (multipart.properties ?? {}) as Record<string, unknown>;

export const createSessionOpenApiBody = {
  required: true,
  content: {
    "application/json": { schema: withoutSchemaKeyword(toJson(createSessionJsonSchema)) },
    "multipart/form-data": {
      schema: {
        ...multipart,
        properties: {
          ...multipartProperties,
          verifyImage: {
            type: "string",
            contentMediaType: "application/octet-stream",
            description: "The reference image file (livenessWithVerify only): JPEG, PNG, GIF or BMP, 1 KB to 6 MB.",
          },
        },
      },
    },
  },
};
