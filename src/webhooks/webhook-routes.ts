/** The /v1/sessions/{id}/events routes: a session's webhook deliveries, and an authenticated redelivery. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { authErrors, stateErrors, bodyErrors, errorResponses } from "../plugins/error-envelope.js";
import { sessionParamsSchema } from "../sessions/session-schemas.js";
import { toDeliveryView, type WebhookDeliveries } from "./webhook-deliveries.js";
import { DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT, redeliveryAcceptedSchema, sessionEventsQuerySchema, sessionEventsSchema } from "./webhook-schemas.js";

export interface WebhookRoutesOptions {
  deliveries: WebhookDeliveries;
}

const docs = { tags: ["webhooks"], security: [{ apiKey: [] }] };

export const webhookRoutes: FastifyPluginAsyncZod<WebhookRoutesOptions> = async (app, { deliveries }) => {
  app.get(
    "/sessions/:id/events",
    {
      schema: {
        ...docs,
        operationId: "listSessionEvents",
        summary: "List a session's webhook deliveries and their attempts",
        description:
          "Every attempt to POST the session.decided event to the session's callbackUrl: when, the receiver's status or the error, " +
          "when the next attempt is due, and whether the delivery is delivered, pending or failed for good. Oldest first; " +
          `cursor pagination as GET /v1/sessions: pass nextCursor back as cursor until it is null (${DEFAULT_EVENTS_LIMIT} deliveries a page unless limit says otherwise, at most ${MAX_EVENTS_LIMIT}).`,
        params: sessionParamsSchema,
        querystring: sessionEventsQuerySchema,
        response: { 200: sessionEventsSchema, ...errorResponses([...authErrors, ...stateErrors, "LSO_ERR_SESSION_NOT_FOUND"]) },
      },
    },
    async (request) => {
      const page = await deliveries.page(request.params.id, request.clientId, request.query);
      return { sessionId: request.params.id, deliveries: page.deliveries.map(toDeliveryView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    "/sessions/:id/events/redeliver",
    {
      schema: {
        ...docs,
        operationId: "redeliverWebhook",
        summary: "Send the session's latest webhook event again",
        description:
          "Starts a new series of attempts for the latest event, with the same Webhook-Id and body (receivers dedupe on it), " +
          "attempt numbers that continue from the last one, and a fresh 24-hour retry window. " +
          "409 LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER before the session has settled (or without a callbackUrl); " +
          "409 LSO_ERR_WEBHOOK_DELIVERY_PENDING while a delivery is still being attempted.",
        params: sessionParamsSchema,
        response: {
          202: redeliveryAcceptedSchema,
          ...errorResponses([
            ...authErrors, ...stateErrors,
            ...bodyErrors,
            "LSO_ERR_SESSION_NOT_FOUND",
            "LSO_ERR_WEBHOOK_NOTHING_TO_REDELIVER",
            "LSO_ERR_WEBHOOK_DELIVERY_PENDING",
          ]),
        },
      },
    },
    async (request, reply) => {
      const delivery = await deliveries.redeliver(request.params.id, request.clientId);
      return reply.code(202).send({
        webhookId: delivery.webhookId,
        series: delivery.series,
        nextAttemptAt: new Date(delivery.dueAt ?? delivery.updatedAt).toISOString(),
      });
    },
  );
};
