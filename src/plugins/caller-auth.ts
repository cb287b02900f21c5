/**
 * Authenticates callers by the `x-api-key` header. Registered inside the /v1 scope only, at onRequest, so an
 * unauthenticated caller is turned away before its body is read. A missing, repeated or wrong key all get the same
 * 401, which says nothing about which clients exist.
 */
import type { FastifyInstance, onRequestHookHandler } from "fastify";
import fp from "fastify-plugin";
import type { CallerPolicy, PolicyBook } from "../lib/caller-policy.js";
import type { ApiKeyRing } from "../credentials/api-key-ring.js";
import { AppError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller; set for every /v1 request that reaches a handler. */
    clientId: string;
    /** The caller's policy, read once per request so a rotation mid-request cannot change it halfway. */
    callerPolicy: CallerPolicy;
  }
}

export const API_KEY_HEADER = "x-api-key";

export interface CallerAuthOptions {
  keyRing: ApiKeyRing;
  policies: PolicyBook;
  /**
   * Runs next, for an authenticated caller, in the same hook (the per-client rate limit): each hook is a step of
   * Fastify's hook runner on every request of the scope.
   */
  thenForCaller?: onRequestHookHandler;
}

async function callerAuth(app: FastifyInstance, options: CallerAuthOptions): Promise<void> {
  app.decorateRequest("clientId", "");
  // null until onRequest sets it; fastify 5 forbids shared object defaults on requests.
  app.decorateRequest("callerPolicy", null as unknown as CallerPolicy);
  // Callback style: no I/O here, and an async hook costs a promise per request.
  const { thenForCaller } = options;
  app.addHook("onRequest", function authenticate(request, reply, done) {
    const presented = request.headers[API_KEY_HEADER];
    const clientId = typeof presented === "string" && presented.length > 0 ? options.keyRing.verify(presented) : undefined;
    if (!clientId) {
      done(new AppError("LSO_ERR_UNAUTHORIZED"));
      return;
    }
    request.clientId = clientId;
    request.callerPolicy = options.policies.of(clientId);
    request.log = request.log.child({ clientId });
    if (thenForCaller) thenForCaller.call(this, request, reply, done);
    else done();
  });
}

// fastify-plugin so the hook applies to the scope that registers it (the /v1 scope), not to a child of it.
export default fp(callerAuth, { name: "caller-auth" });
