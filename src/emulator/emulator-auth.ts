import { createHash, timingSafeEqual } from "node:crypto";

import type { FastifyRequest, onRequestHookHandler } from "fastify";

import type { Clock } from "../lib/clock.js";
import { EmulatorError } from "./emulator-errors.js";
import type { EmulatorOperation, EmulatorSession, EmulatorSessionKind, EmulatorState } from "./emulator-state.js";

/** What every emulator route needs; passed down from `buildEmulator`, never held in module scope. */
export interface EmulatorContext {
  state: EmulatorState;
  clock: Clock;
  /** When set, the only accepted subscription key; otherwise any non-empty key passes. */
  apiKey?: string;
}

/** Counts the call under its operation name. Runs first on every route, so auth failures are counted too. */
export function countOperation(ctx: EmulatorContext, operation: EmulatorOperation): onRequestHookHandler {
  return async () => {
    ctx.state.recordRequest(operation);
  };
}

// Hashing both sides first gives equal lengths, which timingSafeEqual requires, without leaking the key's length.
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Management calls: Face's `Ocp-Apim-Subscription-Key`. Checked before the body is parsed, as APIM does. */
export function requireSubscriptionKey(ctx: EmulatorContext): onRequestHookHandler {
  return async (request) => {
    const header = request.headers["ocp-apim-subscription-key"];
    const key = typeof header === "string" ? header : undefined;
    const accepted = ctx.apiKey === undefined ? Boolean(key) : key !== undefined && sameSecret(key, ctx.apiKey);
    if (!accepted) throw new EmulatorError("Unauthorized");
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
