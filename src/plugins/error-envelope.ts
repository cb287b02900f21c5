/** The one error envelope every error answer uses, as a zod schema (for OpenAPI and response serialisation). */
import { z } from "zod";
import { errorCodes } from "../errors.js";

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes as [string, ...string[]]).describe("Stable machine-readable code; branch on this, not on message."),
      message: z.string().describe("Human-readable explanation."),
      requestId: z.string().describe("Quote this when reporting a problem; it is on every log line of the request."),
      fields: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .describe("For validation errors: the failing fields."),
      faceCode: z.string().optional().describe("The Azure AI Face error code, where it helps the caller fix the input."),
    }),
  })
  .meta({ id: "ErrorEnvelope" });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/** Response schemas every route declares for its errors. */
export const errorResponses = {
  "4xx": errorEnvelopeSchema,
  "5xx": errorEnvelopeSchema,
} as const;
