import type { FastifyInstance } from "fastify";

import { deviceAttemptBodySchema, recordAttempt } from "./emulator-attempts.js";
import { countOperation, requireSessionToken, sessionForToken, type EmulatorContext } from "./emulator-auth.js";
import { EmulatorError } from "./emulator-errors.js";
import type { EmulatorOperation, EmulatorSessionKind } from "./emulator-state.js";

/**
 * The device's side of a session, which the emulator plays itself: Face's client endpoints are called by the Vision
 * SDK on the phone with the session's authToken and are not in the public spec, so these bodies are our own.
 */

const devicePaths: ReadonlyArray<{ kind: EmulatorSessionKind; path: string; operation: EmulatorOperation }> = [
  { kind: "liveness", path: "/detectLiveness/singleModal", operation: "deviceDetectLiveness" },
  {
    kind: "livenessWithVerify",
    path: "/detectLivenessWithVerify/singleModal",
    operation: "deviceDetectLivenessWithVerify",
  },
];

const finished = new Set(["Succeeded", "Failed", "Canceled"]);

export function registerDeviceRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  for (const route of devicePaths) {
    const onRequest = [countOperation(ctx, route.operation), requireSessionToken(ctx, route.kind)];
    app.post(route.path, { onRequest }, async (request) => {
      const session = sessionForToken(ctx, request, route.kind);
      const parsed = deviceAttemptBodySchema.safeParse(request.body);
      if (!parsed.success) {
        throw new EmulatorError("InvalidRequestBody", parsed.error.issues[0]?.message ?? "invalid body");
      }
      if (finished.has(session.status)) {
        throw new EmulatorError("EmulatorSessionCompleted", `the session is ${session.status}`);
      }
      const body = parsed.data;
      if ("start" in body) {
        if (session.status === "NotStarted") session.status = "Running";
        return { status: session.status };
      }
      return recordAttempt(ctx, session, body);
    });
  }
}
