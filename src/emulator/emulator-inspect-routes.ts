/**
 * What the emulator saw, over HTTP, for tests that run it as a separate process (the cluster suite counts Face
 * calls across replicas): under `/emulator`, beside the fault routes, behind the same subscription key, and never
 * counted or faulted themselves. No tokens or images are ever listed.
 *
 *   GET    /emulator/requests   { counts: {operation: n}, requests: [{ seq, at, operation, requestId, sessionId? }] }
 *                               (the newest 10 000)
 *   DELETE /emulator/requests   forgets the counts and the log; 204
 *   GET    /emulator/sessions   { sessions: [{ sessionId, kind, status, createdAt, expiresAt }] }: what Face still holds
 */
import type { FastifyInstance } from "fastify";

import { requireSubscriptionKey, type EmulatorContext } from "./emulator-auth.js";

export const REQUESTS_PATH = "/emulator/requests";
export const SESSIONS_PATH = "/emulator/sessions";

export function registerInspectRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const keyed = { onRequest: [requireSubscriptionKey(ctx)] };

  app.get(REQUESTS_PATH, keyed, async () => ({ counts: ctx.state.requestCounts(), requests: ctx.state.requestLog() }));

  app.delete(REQUESTS_PATH, keyed, async (_request, reply) => {
    ctx.state.resetRequestCounts();
    return reply.code(204).send();
  });

  app.get(SESSIONS_PATH, keyed, async () => ({
    sessions: ctx.state.liveSessions(ctx.clock.now()).map(({ sessionId, kind, status, createdAt, expiresAt }) => ({ sessionId, kind, status, createdAt, expiresAt })),
  }));
}
