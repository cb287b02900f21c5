/**
 * Prometheus metrics over HTTP. observeRequest times every request of the app (by route template, see
 * metrics-http.ts), from the access log's controller, which Fastify calls for every answer. metricsRoutes serves /metrics on the
 * API's own port, registered after the OpenAPI plugin so the document shows it. With METRICS_PORT the route lives
 * on a separate, internal-only app instead (buildMetricsApp; server.ts listens to it), and the public port answers
 * /metrics with 404. METRICS_TOKEN, when set, is required on whichever port serves it.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Registry } from "prom-client";
import { z } from "zod";
import { AppError } from "../errors.js";
import { genReqId } from "../logger.js";
import type { HttpMetrics } from "../metrics/metrics-http.js";
import { bearerCheck, exposition } from "../metrics/metrics-exposition.js";
import { authErrors, errorResponses } from "./error-envelope.js";
import errorHandler from "./error-handler.js";
import { routeConfigOf } from "./route-config.js";

export interface MetricsRoutesOptions {
  registry: Registry;
  /** METRICS_TOKEN */
  token?: string | undefined;
}

export const metricsRoutes: FastifyPluginAsyncZod<MetricsRoutesOptions> = async (app, { registry, token }) => {
  const allowed = bearerCheck(token);
  app.get(
    "/metrics",
    {
      // Not rate limited: the counters live in the state backend, and a scrape must work while it is down.
      config: { rateLimit: false },
      schema: {
        tags: ["health"],
        operationId: "getMetrics",
        summary: "Prometheus metrics",
        description:
          "The Prometheus text exposition format. Present when METRICS is on and METRICS_PORT is unset (then it is served on that port instead); " +
          "needs Authorization: Bearer <METRICS_TOKEN> when that is set. Labels never carry ids, subjects, keys or URLs. See docs/operations.md.",
        security: [{}, { metricsToken: [] }],
        response: {
          200: { description: "The metrics.", content: { "text/plain": { schema: z.string() } } },
          ...errorResponses(authErrors, { rateLimited: false }),
        },
      },
    },
    async (request, reply) => {
      if (!allowed(request.headers.authorization)) {
        reply.header("www-authenticate", 'Bearer realm="metrics"');
        throw new AppError("LSO_ERR_UNAUTHORIZED", { message: "A valid bearer token (METRICS_TOKEN) is required for /metrics." });
      }
      const { contentType, body } = await exposition(registry);
      reply.header("cache-control", "no-store");
      // A string with a non-JSON content type goes out as is, past the serializer.
      return reply.type(contentType).send(body);
    },
  );
};

/**
 * Times the request for the HTTP metrics, by route template. AccessLogController calls it as each answer completes,
 * for every route of the app and unmatched requests alike: no onResponse hook runs on every request for it.
 */
export function observeRequest(http: HttpMetrics): (request: FastifyRequest, reply: FastifyReply) => void {
  return (request, reply) => http.observe({ method: request.method, route: routeConfigOf(request).url, statusCode: reply.statusCode, durationMs: reply.elapsedTime });
}

/** The internal metrics app for METRICS_PORT: /metrics only, in the same error envelope. It never listens itself. */
export async function buildMetricsApp(registry: Registry, options: { token?: string | undefined; logger: FastifyBaseLogger }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger, genReqId });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(errorHandler);
  await app.register(metricsRoutes, { registry, token: options.token });
  return app;
}
