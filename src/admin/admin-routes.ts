/**
 * The /admin scope: operator routes, authenticated with ADMIN_API_KEYS (plugins/admin-auth.ts). Today: read and clear the
 * lockout of a (client, subject) or (client, device). Every clear is logged as an audit line with the operator id.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ApiKeyRing } from "../credentials/api-key-ring.js";
import type { ApiKeyEntry } from "../lib/api-key-list.js";
import { AppError } from "../errors.js";
import type { LockoutGuard, LockoutTarget } from "../lockout/lockout-guard.js";
import { authErrors, stateErrors, bodyErrors, errorResponses } from "../plugins/error-envelope.js";
import adminAuth from "../plugins/admin-auth.js";
import { lockoutParamsSchema, lockoutQuerySchema, lockoutStatusSchema, type LockoutQuery, type LockoutStatusView } from "./admin-schemas.js";

export interface AdminRoutesOptions {
  /** ADMIN_API_KEYS; empty disables the scope (every /admin request gets 404). */
  keys: readonly ApiKeyEntry[];
  lockout: LockoutGuard;
}

/** OpenAPI metadata shared by every admin route. */
const docs = { tags: ["admin"], security: [{ adminKey: [] }] };

/** The query has exactly one of the two (zod checked it). */
const targetOf = (query: LockoutQuery): LockoutTarget =>
  query.subject !== undefined ? { subject: query.subject } : { deviceCorrelationId: query.deviceCorrelationId! };

export const adminRoutes: FastifyPluginAsyncZod<AdminRoutesOptions> = async (app, { keys, lockout }) => {
  await app.register(adminAuth, { keyRing: new ApiKeyRing(keys) });
  app.addHook("onSend", async (_request, reply) => {
    reply.header("cache-control", "no-store");
  });

  app.get(
    "/lockouts/:clientId",
    {
      schema: {
        ...docs,
        operationId: "getLockout",
        summary: "Read the lockout state of a client's subject or device",
        description: "Give exactly one of subject or deviceCorrelationId. Needs an operator key (ADMIN_API_KEYS) in x-admin-key.",
        params: lockoutParamsSchema,
        querystring: lockoutQuerySchema,
        // 404 LSO_ERR_ROUTE_NOT_FOUND: the admin scope is off (no ADMIN_API_KEYS).
        response: { 200: lockoutStatusSchema, ...errorResponses([...authErrors, ...stateErrors, "LSO_ERR_ROUTE_NOT_FOUND"]) },
      },
    },
    async (request) => {
      const { clientId } = request.params;
      const target = targetOf(request.query);
      const state = await lockout.status(clientId, target);
      const view: LockoutStatusView = {
        clientId,
        ...target,
        locked: state.lockedUntil !== undefined,
        lockedUntil: state.lockedUntil === undefined ? null : new Date(state.lockedUntil).toISOString(),
        retryAfterSeconds: state.retryAfterSeconds ?? null,
        recentFailures: state.failures,
      };
      return view;
    },
  );

  app.delete(
    "/lockouts/:clientId",
    {
      schema: {
        ...docs,
        operationId: "clearLockout",
        summary: "Clear the lockout and recent failures of a client's subject or device",
        description: "New sessions for it are accepted at once, with a full attempt budget. 404 when there is nothing to clear.",
        params: lockoutParamsSchema,
        querystring: lockoutQuerySchema,
        response: {
          204: z.undefined().describe("Cleared."),
          ...errorResponses([...authErrors, ...stateErrors, ...bodyErrors, "LSO_ERR_ROUTE_NOT_FOUND", "LSO_ERR_LOCKOUT_NOT_FOUND"]),
        },
      },
    },
    async (request, reply) => {
      const { clientId } = request.params;
      const target = targetOf(request.query);
      const cleared = await lockout.clear(clientId, target);
      // The audit trail: who cleared what (operatorId is bound to the request logger by admin-auth). Never the key.
      request.log.info({ audit: "lockout.clear", clientId, ...target, cleared }, "operator cleared a lockout");
      if (!cleared) throw new AppError("LSO_ERR_LOCKOUT_NOT_FOUND");
      return reply.code(204).send();
    },
  );
};
