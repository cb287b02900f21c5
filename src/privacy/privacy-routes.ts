/**
 * DELETE /v1/subjects/{subject}: erasure by subject, for the calling client only. Another client's call, and a call
 * for an unknown subject, answer the same zero counts: the answer tells nothing of who holds what.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { authErrors, bodyErrors, errorResponses } from "../plugins/error-envelope.js";
import type { SubjectErasure } from "./privacy-erasure.js";
import { erasureResultSchema, subjectParamsSchema } from "./privacy-schemas.js";

export interface PrivacyRoutesOptions {
  erasure: SubjectErasure;
}

export const privacyRoutes: FastifyPluginAsyncZod<PrivacyRoutesOptions> = async (app, { erasure }) => {
  app.delete(
    "/subjects/:subject",
    {
      schema: {
        tags: ["privacy"],
        security: [{ apiKey: [] }],
        operationId: "eraseSubject",
        summary: "Erase everything this client holds for a subject",
        description:
          "Deletes every session of the subject (at Face while it may still live there, and here), their retained images, " +
          "audit trails, webhook deliveries (pending ones are cancelled) and idempotent-create responses (a replay then answers 404). " +
          "Idempotent: a repeat answers zero counts. A Face deletion that fails is retried in the background and counted in " +
          "faceDeletionsPending. Leaves one erasure receipt (counts and an HMAC of the subject, never the subject). See docs/privacy.md.",
        params: subjectParamsSchema,
        response: { 200: erasureResultSchema, ...errorResponses([...authErrors, ...bodyErrors]) },
      },
    },
    async (request) => erasure.erase(request.params.subject, { clientId: request.clientId, log: request.log }),
  );
};
