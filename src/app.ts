/**
 * buildApp: the whole API as a Fastify instance that never listens. Tests, the OpenAPI generator and server.ts all
 * start here; `overrides` is the one seam for swapping a dependency (fastify/demo + lokalise's getApp pattern).
 */
import { readFileSync } from "node:fs";
import multipart from "@fastify/multipart";
import { AzureKeyCredential } from "@azure/core-auth";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { AppConfig } from "./config.js";
import { ApiKeyRing } from "./credentials/api-key-ring.js";
import { createFaceGateway } from "./face/face-client.js";
import type { FaceGateway } from "./face/face-gateway.js";
import { systemClock, type Clock } from "./lib/clock.js";
import { MAX_IMAGE_BYTES } from "./lib/image-format.js";
import { createLogger, genReqId, REQUEST_ID_HEADER, type Logger } from "./logger.js";
import callerAuth from "./plugins/caller-auth.js";
import errorHandler from "./plugins/error-handler.js";
import { healthRoutes } from "./plugins/health.js";
import openapi from "./plugins/openapi.js";
import { sessionRoutes } from "./sessions/session-routes.js";
import { SessionService } from "./sessions/session-service.js";
import type { SessionStore } from "./sessions/session-store.js";
import { MemorySessionStore } from "./sessions/session-store-memory.js";

export interface AppOverrides {
  faceGateway?: FaceGateway;
  store?: SessionStore;
  clock?: Clock;
  logger?: Logger;
  keyRing?: ApiKeyRing;
}

/** Every route but create keeps small bodies; create raises its own limit for a base64 image. */
const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

const packageVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

function defaultFaceGateway(config: AppConfig, logger: Logger): FaceGateway {
  const { endpoint, apiKey } = config.face;
  if (!endpoint || !apiKey) {
    throw new Error("buildApp needs config.face.endpoint and config.face.apiKey, or a faceGateway override");
  }
  return createFaceGateway({
    endpoint,
    apiVersion: config.face.apiVersion,
    credential: new AzureKeyCredential(apiKey),
    timeoutMs: config.face.timeoutMs,
    logger: logger.child({ component: "face" }),
  });
}

export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const face = overrides.faceGateway ?? defaultFaceGateway(config, logger);
  const store = overrides.store ?? new MemorySessionStore(clock);
  const keyRing = overrides.keyRing ?? new ApiKeyRing(config.apiKeys);
  const service = new SessionService(face, store, clock);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId,
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    // Proxy headers are not trusted: a caller could otherwise choose its own IP address for logs and limits.
    trustProxy: false,
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();

  // The API speaks JSON and multipart only; fastify's built-in text/plain parser would let strings through to zod.
  app.removeContentTypeParser("text/plain");
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook("onClose", async () => store.close());

  await app.register(errorHandler);
  await app.register(openapi, { version: packageVersion });
  await app.register(multipart, {
    // Tight limits: a create request has a handful of short fields and one image.
    limits: { fieldNameSize: 100, fieldSize: 1024, fields: 20, fileSize: MAX_IMAGE_BYTES, files: 3, parts: 30, headerPairs: 50 },
  });
  await app.register(healthRoutes, { face, clock });
  await app.register(
    async (v1) => {
      await v1.register(callerAuth, { keyRing });
      // Session data (tokens, outcomes) must never sit in a shared cache.
      v1.addHook("onSend", async (_request, reply) => {
        reply.header("cache-control", "no-store");
      });
      await v1.register(sessionRoutes, { service });
    },
    { prefix: "/v1" },
  );
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
}
