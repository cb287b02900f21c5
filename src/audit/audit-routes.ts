/**
 * GET /v1/sessions/{id}/audit: a session's audit trail, for the client that owns the session. Ownership and
 * lifetime come from the session record, as on every session route: another client's session answers exactly as
 * an unknown id does (404), and so does a session whose record has expired, whatever the audit log still holds.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AppError } from "../errors.js";
import { authErrors, stateErrors, errorResponses } from "../plugins/error-envelope.js";
import { sessionParamsSchema } from "../sessions/session-schemas.js";
import type { SessionStore } from "../state/session-store.js";
import { MAX_AUDIT_ENTRIES_PER_SESSION, type AuditLog } from "../state/audit-log.js";
import { auditTrailSchema } from "./audit-schemas.js";

export interface AuditRoutesOptions {
  audit: AuditLog;
  sessions: Pick<SessionStore, "get">;
}

export const auditRoutes: FastifyPluginAsyncZod<AuditRoutesOptions> = async (app, { audit, sessions }) => {
  app.get(
    "/sessions/:id/audit",
    {
      schema: {
        tags: ["sessions"],
        security: [{ apiKey: [] }],
        operationId: "getSessionAudit",
        summary: "Read a session's audit trail",
        description:
          "What happened to the session, oldest first: created, token issued (never the token), attempts seen, decided, " +
          "webhook deliveries, deleted at Face, image retained or deleted. Readable until the session record expires, " +
          `also after the session was deleted at Face. At most ${MAX_AUDIT_ENTRIES_PER_SESSION} entries.`,
        params: sessionParamsSchema,
        response: { 200: auditTrailSchema, ...errorResponses([...authErrors, ...stateErrors, "LSO_ERR_SESSION_NOT_FOUND"]) },
      },
    },
    async (request) => {
      const record = await sessions.get(request.params.id);
      if (!record || record.clientId !== request.clientId || record.erased) throw new AppError("LSO_ERR_SESSION_NOT_FOUND");
      return { sessionId: record.id, entries: await audit.list(record.id, MAX_AUDIT_ENTRIES_PER_SESSION) };
    },
  );
};
