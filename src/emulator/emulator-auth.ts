import type { FastifyRequest, onRequestHookHandler } from "fastify";

import type { Clock } from "../lib/clock.js";
import { EmulatorError } from "./emulator-errors.js";
import { applyFaultBefore } from "./emulator-fault-hooks.js";
import type { SubscriptionKeys } from "./emulator-keys.js";
import type { EmulatorOperation, EmulatorSession, EmulatorSessionKind, EmulatorState } from "./emulator-state.js";

/** What every emulator route needs; passed down from `buildEmulator`, never held in module scope. */
export interface EmulatorContext {
  state: EmulatorState;
  clock: Clock;
  /** The accepted subscription keys; when empty, any non-empty key passes. */
  keys: SubscriptionKeys;
}

/**
 * Counts and logs the call under its operation name and applies its injected faults. Runs first on every route, so auth
 * failures are counted too, and a fault answers before auth (a throttled or broken front door never gets that far).
 */
export function countOperation(ctx: EmulatorContext, operation: EmulatorOperation): onRequestHookHandler {
  return async (request, reply) => {
    const { sessionId } = request.params as { sessionId?: unknown };
    const fault = ctx.state.recordRequest(operation, {
      at: ctx.clock.now(),
      requestId: request.id,
      ...(typeof sessionId === "string" && { sessionId }),
    });
    if (!fault) return;
    ctx.state.faults.holdAfter(request, fault.after);
    if (await applyFaultBefore(fault.before, request, reply)) return reply;
  };
}

/** Management calls: Face's `Ocp-Apim-Subscription-Key`. Checked before the body is parsed, as APIM does. */
export function requireSubscriptionKey(ctx: EmulatorContext): onRequestHookHandler {
  return async (request) => {
    const header = request.headers["ocp-apim-subscription-key"];
    const key = typeof header === "string" ? header : undefined;
    if (!ctx.keys.accepts(key)) throw new EmulatorError("Unauthorized");
  };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

/**
 * Device calls: the session's `authToken` as a bearer token. The token only opens sessions of its own kind, and
 * stops working when the session is deleted or expires.
 */
export function sessionForToken(ctx: EmulatorContext, request: FastifyRequest, kind: EmulatorSessionKind): EmulatorSession {
  const token = bearerToken(request);
  const session = token === undefined ? undefined : ctx.state.findSessionByToken(token, ctx.clock.now());
  if (!session || session.kind !== kind) throw new EmulatorError("InvalidSessionToken");
  return session;
}

export function requireSessionToken(ctx: EmulatorContext, kind: EmulatorSessionKind): onRequestHookHandler {
  return async (request) => {
    sessionForToken(ctx, request, kind);
  };
}
