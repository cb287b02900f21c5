/**
 * Authenticates operators on the /admin scope by the `x-admin-key` header, against ADMIN_API_KEYS only: tenant keys
 * (API_KEYS) are a different ring and never open /admin, and admin keys never open /v1 (config refuses a key listed
 * in both). Without ADMIN_API_KEYS every /admin request gets the same 404 as an unknown route: the scope is off.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ApiKeyRing } from "../credentials/api-key-ring.js";
import { AppError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated operator (its id in ADMIN_API_KEYS); set for every /admin request that reaches a handler. */
    operatorId: string;
  }
}

export const ADMIN_KEY_HEADER = "x-admin-key";

export interface AdminAuthOptions {
  keyRing: ApiKeyRing;
}

async function adminAuth(app: FastifyInstance, { keyRing }: AdminAuthOptions): Promise<void> {
  app.decorateRequest("operatorId", "");
  app.addHook("onRequest", async (request) => {
    if (keyRing.size === 0) throw new AppError("LSO_ERR_ROUTE_NOT_FOUND");
    const presented = request.headers[ADMIN_KEY_HEADER];
    const operatorId = typeof presented === "string" && presented.length > 0 ? keyRing.verify(presented) : undefined;
    if (!operatorId) throw new AppError("LSO_ERR_UNAUTHORIZED", { message: `A valid admin key is required in the ${ADMIN_KEY_HEADER} header.` });
    request.operatorId = operatorId;
    request.log = request.log.child({ operatorId });
  });
}

// fastify-plugin so the hook applies to the scope that registers it (the /admin scope), not to a child of it.
export default fp(adminAuth, { name: "admin-auth" });
