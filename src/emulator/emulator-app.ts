import { randomUUID } from "node:crypto";

import fastifyMultipart from "@fastify/multipart";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";

import { systemClock, type Clock } from "../lib/clock.js";
import { loggerOptions } from "../logger.js";
import type { EmulatorContext } from "./emulator-auth.js";
import { registerDeviceRoutes } from "./emulator-device-routes.js";
import { EmulatorError, emulatorErrorCatalog, sendFaceError } from "./emulator-errors.js";
import { applyFaultAfter } from "./emulator-fault-hooks.js";
import type { FaultPlanInput } from "./emulator-fault-plan.js";
import { registerFaultRoutes } from "./emulator-fault-routes.js";
import { registerInspectRoutes } from "./emulator-inspect-routes.js";
import { multipartLimits } from "./emulator-multipart.js";
import { registerSessionRoutes } from "./emulator-session-routes.js";
import { SubscriptionKeys } from "./emulator-keys.js";
import { EmulatorState } from "./emulator-state.js";

/**
 * The embedded Azure AI Face v1.2 emulator: a Fastify app of its own, with its own in-memory state, close enough to
 * the liveness-session contract that `@azure-rest/ai-vision-face` works against it unmodified.
 * Builds the app and never listens; `emulator-server.ts` does that.
 */
export interface EmulatorOptions {
  /** When set, the only subscription key accepted; otherwise any non-empty key is. */
  apiKey?: string;
  /** The accepted keys as a holder the caller keeps, to rotate them at run time; overrides apiKey. */
  subscriptionKeys?: SubscriptionKeys;
  clock?: Clock;
  /** A logger instance, or true for Fastify's default pino; defaults to silent. */
  logger?: FastifyBaseLogger | boolean;
  /** Supply the state to inspect it from outside (request counts, sessions); a fresh one otherwise. */
  state?: EmulatorState;
  /** Faults to inject from the start (validated; see emulator-fault-plan.ts); change them later via state.faults. */
  faults?: FaultPlanInput;
}

export const FACE_BASE_PATH = "/face/v1.2";

const { InvalidMediaType, RouteNotFound, InternalServerError } = emulatorErrorCatalog;

export async function buildEmulator(options: EmulatorOptions = {}): Promise<FastifyInstance> {
  const ctx: EmulatorContext = {
    state: options.state ?? new EmulatorState(),
    clock: options.clock ?? systemClock,
    keys: options.subscriptionKeys ?? new SubscriptionKeys(options.apiKey === undefined ? [] : [options.apiKey]),
  };
  const logging =
    typeof options.logger === "object"
      ? { loggerInstance: options.logger }
      : { logger: options.logger ? loggerOptions("info") : false };
  const app: FastifyInstance = Fastify({
    ...logging,
    // The SDK joins `${endpoint}/face/v1.2`, so an endpoint with a trailing slash yields `//face/v1.2`.
    routerOptions: { ignoreDuplicateSlashes: true },
    genReqId: () => randomUUID(),
    // Malformed URLs and the like never reach the error handler; they still get Face's envelope.
    frameworkErrors: (error, request, reply) => {
      reply.header("apim-request-id", request.id);
      return sendFaceError(reply, 400, "BadArgument", error.message);
    },
  });
  app.decorate("emulatorState", ctx.state);
  if (options.faults !== undefined) ctx.state.faults.set(options.faults);

  // Every response carries the gateway's request id, 404s and errors included, as Azure's APIM front door does.
  app.addHook("onSend", async (request, reply) => {
    if (!reply.hasHeader("apim-request-id")) reply.header("apim-request-id", request.id);
  });
  // The "after" half of an injected fault: the operation ran, now its answer is slowed, replaced or lost.
  app.addHook("onSend", async (request, reply, payload) => {
    const after = ctx.state.faults.takeAfter(request);
    return after ? applyFaultAfter(after, request, reply, payload) : payload;
  });

  // Face answers a JSON syntax error with BadArgument, not Fastify's own error shape.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(new EmulatorError("BadArgument"), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new EmulatorError("JsonParsingError"), undefined);
    }
  });

  await app.register(fastifyMultipart, { limits: multipartLimits, throwFileSizeLimit: false });

  app.setErrorHandler((error: FastifyError | EmulatorError, request, reply) => {
    if (error instanceof EmulatorError) return sendFaceError(reply, error.status, error.code, error.message);
    const status = error.statusCode ?? 500;
    if (status === 415) return sendFaceError(reply, 415, InvalidMediaType.code, InvalidMediaType.message);
    // Any other client error Fastify spots (oversized or malformed body, bad URL) is a bad request, never a 500.
    if (status >= 400 && status < 500) return sendFaceError(reply, 400, "BadArgument", error.message);
    request.log.error({ err: error }, "Face emulator failed");
    return sendFaceError(reply, 500, "InternalServerError", InternalServerError.message);
  });

  app.setNotFoundHandler((_request, reply) => sendFaceError(reply, 404, RouteNotFound.code, RouteNotFound.message));

  await app.register(
    async (face) => {
      registerSessionRoutes(face, ctx);
      registerDeviceRoutes(face, ctx);
    },
    { prefix: FACE_BASE_PATH },
  );
  registerFaultRoutes(app, ctx);
  registerInspectRoutes(app, ctx);
  return app;
}

/** The state behind an emulator built without one supplied. */
export function emulatorStateOf(app: FastifyInstance): EmulatorState {
  const state: unknown = app.getDecorator("emulatorState");
  if (!(state instanceof EmulatorState)) throw new Error("not a Face emulator instance");
  return state;
}
