/**
 * Applies a fault decision to a live request: the "before" part in the route's first onRequest hook (instead of the
 * operation), the "after" part in an onSend hook (the operation ran; its answer is slowed, replaced or lost).
 * Fault answers look like Face's: the `{error:{code,message}}` envelope, `x-ms-error-code`, `apim-request-id`
 * (added by the app's onSend hook) and, for 429/503, `Retry-After`.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

import { sendFaceError } from "./emulator-errors.js";
import type { FaultAction, FaultEnd } from "./emulator-faults.js";

/** Face's codes where it has them (APIM's "429"); messages say the failure was injected, for whoever reads logs. */
const faultErrors = {
  429: { code: "429", message: (s: number) => `Rate limit is exceeded. Try again in ${s} seconds. (emulator: injected fault)` },
  500: { code: "InternalServerError", message: () => "An unexpected error occurred. (emulator: injected fault)" },
  503: { code: "ServiceUnavailable", message: () => "The service is temporarily unavailable. (emulator: injected fault)" },
} as const;

type StatusEnd = Extract<FaultEnd, { kind: "status" }>;

function errorOf(end: StatusEnd) {
  const entry = faultErrors[end.status];
  return { code: entry.code, message: entry.message(end.retryAfterSeconds ?? 1) };
}

/** Holds the request for `ms`, or less if the client goes away first (no point keeping a dead socket waiting). */
function delay(ms: number, reply: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    if (reply.raw.destroyed) return resolve();
    const done = () => {
      clearTimeout(timer);
      reply.raw.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    reply.raw.once("close", done);
  });
}

/** The request's connection dies with no answer, as when a load balancer or Face's front door drops it. */
function reset(request: FastifyRequest): void {
  request.raw.socket.destroy();
}

/** Runs the "before" part; true when the request was ended here (answered or reset), so the route must not run. */
export async function applyFaultBefore(action: FaultAction, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (action.latencyMs > 0) await delay(action.latencyMs, reply);
  const { end } = action;
  if (!end) return false;
  if (end.kind === "reset") {
    reply.hijack(); // Fastify stops here and never touches the dead socket
    reset(request);
    return true;
  }
  if (end.retryAfterSeconds !== undefined) reply.header("retry-after", String(end.retryAfterSeconds));
  const { code, message } = errorOf(end);
  sendFaceError(reply, end.status, code, message);
  return true;
}

/** Runs the "after" part from onSend: returns the payload to send, replaced when the fault replaces the answer. */
export async function applyFaultAfter(action: FaultAction, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (action.latencyMs > 0) await delay(action.latencyMs, reply);
  const { end } = action;
  if (!end) return payload;
  if (end.kind === "reset") {
    reset(request);
    return payload;
  }
  if (end.retryAfterSeconds !== undefined) reply.header("retry-after", String(end.retryAfterSeconds));
  const error = errorOf(end);
  reply.code(end.status).header("x-ms-error-code", error.code).type("application/json; charset=utf-8");
  return JSON.stringify({ error });
}
