import type { FastifyInstance, FastifyRequest } from "fastify";

import { countOperation, requireSubscriptionKey, type EmulatorContext } from "./emulator-auth.js";
import { parseJsonCreate, parseMultipartCreate } from "./emulator-create-rules.js";
import { EmulatorError } from "./emulator-errors.js";
import { checkVerifyImage, readVerifyCreateForm } from "./emulator-multipart.js";
import { renderSession } from "./emulator-render.js";
import { existingSession, openLivenessSession, openVerifySession } from "./emulator-sessions.js";
import type { EmulatorOperation, EmulatorSessionKind } from "./emulator-state.js";

/**
 * Face v1.2's liveness-session operations, as the SDK calls them with a subscription key.
 * @see https://learn.microsoft.com/rest/api/face/liveness-session-operations
 */

interface SessionParams {
  Params: { sessionId: string };
}

/** A body with another media type is refused; a missing body is left for the body rules to call invalid. */
function requireJsonMediaType(request: FastifyRequest): void {
  const contentType = request.headers["content-type"];
  if (contentType === undefined) return;
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") throw new EmulatorError("InvalidMediaType", "application/json is required");
}

const sessionPaths: ReadonlyArray<{
  kind: EmulatorSessionKind;
  path: string;
  get: EmulatorOperation;
  delete: EmulatorOperation;
}> = [
  { kind: "liveness", path: "/detectLiveness-sessions", get: "getLivenessSession", delete: "deleteLivenessSession" },
  {
    kind: "livenessWithVerify",
    path: "/detectLivenessWithVerify-sessions",
    get: "getLivenessWithVerifySession",
    delete: "deleteLivenessWithVerifySession",
  },
];

export function registerSessionRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const keyed = (operation: EmulatorOperation) => ({
    onRequest: [countOperation(ctx, operation), requireSubscriptionKey(ctx)],
  });

  app.post("/detectLiveness-sessions", keyed("createLivenessSession"), async (request) => {
    requireJsonMediaType(request);
    return renderSession(openLivenessSession(ctx, parseJsonCreate(request.body)));
  });

  // multipart/form-data only: v1.2 has no JSON variant of this operation.
  app.post("/detectLivenessWithVerify-sessions", keyed("createLivenessWithVerifySession"), async (request) => {
    const form = await readVerifyCreateForm(request);
    const settings = parseMultipartCreate(form.fields);
    return renderSession(openVerifySession(ctx, settings, checkVerifyImage(form.verifyImage)));
  });

  for (const route of sessionPaths) {
    app.get<SessionParams>(`${route.path}/:sessionId`, keyed(route.get), async (request) =>
      renderSession(existingSession(ctx, request.params.sessionId, route.kind)),
    );

    // 204 with no body: the SDK's isUnexpected() flags anything else, 200 included.
    app.delete<SessionParams>(`${route.path}/:sessionId`, keyed(route.delete), async (request, reply) => {
      const session = existingSession(ctx, request.params.sessionId, route.kind);
      ctx.state.deleteSession(session.sessionId);
      return reply.code(204).send();
    });
  }

  app.get<{ Params: { sessionImageId: string } }>(
    "/sessionImages/:sessionImageId",
    keyed("getSessionImage"),
    async (request, reply) => {
      const image = ctx.state.findSessionImage(request.params.sessionImageId, ctx.clock.now());
      if (!image) throw new EmulatorError("SessionImageNotFound");
      return reply.type("application/octet-stream").send(image.bytes);
    },
  );
}
