/**
 * The webhook contract: the event body we POST to a callbackUrl, and the delivery log the events route shows.
 * The body is an allow-list like every response: ids, kind, the caller's own subject and the decision; never a
 * token, an image, a digest or a raw score.
 */
import type { OpenAPIV3_1 } from "openapi-types";
import { z } from "zod";
import { MAX_CURSOR_CHARS } from "../lib/list-cursor.js";
import { decisionSchema } from "../sessions/decision/decision-schemas.js";
import { consentSchema, sessionIdSchema, sessionKindSchema } from "../sessions/session-schemas.js";

export const WEBHOOK_EVENT_TYPES = ["session.decided"] as const;

export const webhookEventSchema = z
  .object({
    id: z.string().describe("The event id; equals the Webhook-Id header and stays the same on every retry and redelivery. Dedupe on it."),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    createdAt: z.iso.datetime().describe("When the session was decided."),
    data: z.object({
      sessionId: sessionIdSchema,
      kind: sessionKindSchema,
      subject: z.string().optional().describe("Your reference for the end user, as given on create."),
      consent: consentSchema.optional().describe("The consent evidence, as given on create."),
      decision: decisionSchema,
    }),
  })
  .meta({ id: "WebhookEvent", description: "The JSON body POSTed to callbackUrl, signed (Standard Webhooks) in the Webhook-Signature header." });
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

export const deliveryStateSchema = z
  .enum(["pending", "delivered", "failed"])
  .describe("pending: an attempt is due or under way; delivered: the receiver answered 2xx; failed: final, no more attempts.");

export const deliveryAttemptSchema = z.object({
  attempt: z.number().int().min(1).describe("The Webhook-Attempt header of this attempt; it keeps counting across redeliveries."),
  series: z.number().int().min(1).describe("1 for the first delivery, 2 for the first redelivery, ..."),
  at: z.iso.datetime(),
  statusCode: z.number().int().optional().describe("The receiver's HTTP status, when it answered."),
  error: z.string().optional().describe("Why the attempt failed without a status (timeout, network error, refused target) or what the status meant."),
  nextAttemptAt: z.iso.datetime().optional().describe("When the next attempt is due, if this one will be retried."),
  final: z.boolean().describe("True when this attempt ended the series (delivered or failed for good)."),
});

export const webhookDeliverySchema = z
  .object({
    webhookId: z.string(),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    state: deliveryStateSchema,
    createdAt: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime().nullable().describe("When the next attempt is due; null once final."),
    attempts: z.array(deliveryAttemptSchema).describe("Oldest first; the latest 20 only (attemptCount counts them all)."),
    attemptCount: z.number().int().min(0).describe("Every attempt made, including those no longer listed in attempts."),
    firstAttemptAt: z.iso.datetime().nullable().describe("When the first attempt was made; null before it."),
    event: webhookEventSchema.describe("The body that is (or was) sent."),
  })
  .meta({ id: "WebhookDelivery" });

export const DEFAULT_EVENTS_LIMIT = 20;
export const MAX_EVENTS_LIMIT = 100;

export const sessionEventsQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_EVENTS_LIMIT)
    .default(DEFAULT_EVENTS_LIMIT)
    .describe(`Deliveries per page, 1 to ${MAX_EVENTS_LIMIT} (default ${DEFAULT_EVENTS_LIMIT}).`),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_CHARS)
    .optional()
    .describe("nextCursor from the previous page of this session's events. Opaque: do not build or change it."),
});

export type SessionEventsQuery = z.infer<typeof sessionEventsQuerySchema>;

export const sessionEventsSchema = z
  .object({
    sessionId: sessionIdSchema,
    deliveries: z.array(webhookDeliverySchema).describe("Oldest first; empty until the session settles."),
    nextCursor: z.string().nullable().describe("Pass as cursor for the next page; null at the end."),
  })
  .meta({ id: "SessionWebhookEvents" });

export const redeliveryAcceptedSchema = z
  .object({ webhookId: z.string(), series: z.number().int(), nextAttemptAt: z.iso.datetime() })
  .meta({ id: "WebhookRedelivery" });

export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

const header = (name: string, description: string): OpenAPIV3_1.ParameterObject => ({ in: "header", name, required: true, schema: { type: "string" }, description });

/** The OpenAPI 3.1 `webhooks` entry: what a receiver gets, so client authors find it next to the routes. */
export const webhooksOpenApi: Record<string, OpenAPIV3_1.PathItemObject> = {
  "session.decided": {
    post: {
      tags: ["webhooks"],
      operationId: "sessionDecidedWebhook",
      // Sent by us, authenticated by its signature: no API key scheme applies.
      security: [],
      summary: "POSTed to the session's callbackUrl once its decision settles",
      description:
        "Signed per Standard Webhooks (https://www.standardwebhooks.com): verify with any of its libraries (e.g. `new Webhook(secret).verify(rawBody, headers)` " +
        "from the standardwebhooks package), which checks the signature over `${webhook-id}.${webhook-timestamp}.${rawBody}` and rejects timestamps more than 5 min off. " +
        "Dedupe on Webhook-Id, answer 2xx within 10 s. 408, 429 (Retry-After honoured when longer than the backoff) and 5xx are retried with backoff for 24 hours; other 4xx end the delivery. " +
        "Recipes and signed test vectors: docs/webhooks.md.",
      parameters: [
        header("Webhook-Id", "The event id (also the body's id); the same on every retry and redelivery. Signed."),
        header("Webhook-Timestamp", "Unix seconds when this attempt was signed (each attempt is signed afresh). Signed."),
        header(
          "Webhook-Signature",
          "v1,<base64 HMAC-SHA256>, one per current secret, newest first, space separated (two while the secret rotates); the key is the base64 after whsec_.",
        ),
        header("Webhook-Attempt", "1, 2, ...: the attempt number, counting across redeliveries. Not part of the standard, not signed."),
      ],
      requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/WebhookEvent" } } } },
      responses: { "2XX": { description: "Received: no further attempts." }, default: { description: "Retried (408, 429, 5xx) or final (other 4xx, 3xx)." } },
    },
  },
};
