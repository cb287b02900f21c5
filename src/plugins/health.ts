/**
 * The probes. /healthz: the process is alive (for restarts; never anything that another replica shares, or an
 * outage would restart them all). /readyz: this replica can do useful work now (for load balancers; see
 * health-readiness.ts for what counts). /startupz: it has been ready once (for a startup probe, which holds the
 * liveness probe off while Key Vault and the state backend come up).
 *
 * Anyone may ask /readyz (balancers send no key), so its public answer is only ready or not. The checks behind it
 * (Face's error code, the state backend, where the credentials come from, how old the Key Vault values are) describe
 * the operator's set-up, which tells an attacker what to aim at; they are shown to an operator key (ADMIN_API_KEYS,
 * x-admin-key) only. Not to a caller key: tenants have no business with how the service holds its secrets.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ADMIN_KEY_HEADER } from "./admin-auth.js";
import type { ApiKeyEntry } from "../lib/api-key-list.js";
import { ApiKeyRing } from "../credentials/api-key-ring.js";
import { AppError } from "../errors.js";
import { authErrors, errorResponses } from "./error-envelope.js";
import type { Readiness } from "./health-readiness.js";

const checksSchema = z.object({
  shutdown: z.object({ status: z.enum(["running", "draining"]).describe("draining: SIGTERM arrived; the server stops accepting after SHUTDOWN_DRAIN_DELAY_MS.") }),
  state: z.object({
    status: z.enum(["up", "down"]).describe("down: the state backend did not answer its ping in time."),
    backend: z.enum(["memory", "redis"]),
  }),
  face: z.object({
    status: z
      .enum(["up", "degraded", "down"])
      .describe("degraded: Face fails, throttles or is slow (still ready: every replica shares Face); down: Face refuses our credentials or has no such route (not ready)."),
    code: z.string().optional().describe("The LSO_ERR_* code of the failed probe."),
  }),
  credentials: z.object({
    status: z.enum(["up", "stale"]).describe("stale: Key Vault has not answered for two refresh intervals; the last good values are in use."),
    source: z.enum(["environment", "keyVault"]),
    faceAuth: z.enum(["key", "keyVault", "entraId"]),
    ageSeconds: z.number().int().optional().describe("Seconds since the Key Vault values were last confirmed."),
  }),
});

const readinessSchema = z
  .object({
    status: z.enum(["ready", "notReady"]),
    checks: checksSchema.optional().describe("Only for an operator: sent when x-admin-key holds a key from ADMIN_API_KEYS."),
  })
  .meta({ id: "Readiness" });

const startupSchema = z.object({ status: z.enum(["started", "starting"]) }).meta({ id: "Startup" });

export interface HealthOptions {
  readiness: Readiness;
  /** ADMIN_API_KEYS: a request carrying one of these in x-admin-key sees the readiness checks. */
  adminKeys: readonly ApiKeyEntry[];
}

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, { readiness, adminKeys }) => {
  const operators = new ApiKeyRing(adminKeys);
  // Probes skip the per-IP rate limit: its counters live in the state backend, whose outage they must report, not suffer.
  const config = { rateLimit: false as const };

  app.get(
    "/healthz",
    {
      config,
      schema: {
        tags: ["health"],
        operationId: "getLiveness",
        summary: "Liveness probe",
        security: [],
        response: { 200: z.object({ status: z.literal("ok") }), ...errorResponses([], { rateLimited: false }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  /** True for an operator, false for anyone who sent no admin key; a wrong admin key is refused, as on /admin. */
  const isOperator = (presented: string | string[] | undefined): boolean => {
    if (presented === undefined) return false;
    if (typeof presented === "string" && presented.length > 0 && operators.verify(presented)) return true;
    throw new AppError("LSO_ERR_UNAUTHORIZED", { message: `The ${ADMIN_KEY_HEADER} header holds no valid admin key; send none for the public answer.` });
  };

  app.get(
    "/readyz",
    {
      config,
      schema: {
        tags: ["health"],
        operationId: "getReadiness",
        summary: "Readiness probe",
        description:
          "Public: ready or not. Not ready while draining for shutdown, when the state backend does not answer, or when Face refuses our credentials; " +
          "a Face outage leaves it ready (degraded). With an operator key (ADMIN_API_KEYS) in x-admin-key, also the checks behind the answer.",
        // No key needed; an operator key is optional and adds the checks.
        security: [{}, { adminKey: [] }],
        // 503 is the readiness body (not the error envelope).
        response: { ...errorResponses(authErrors, { rateLimited: false }), 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (request, reply) => {
      const detailed = isOperator(request.headers[ADMIN_KEY_HEADER]);
      const report = await readiness.evaluate();
      const status = report.ready ? ("ready" as const) : ("notReady" as const);
      reply.code(report.ready ? 200 : 503);
      if (!detailed) return reply.send({ status });
      // The operator's answer names the set-up: never to be kept by a shared cache.
      reply.header("cache-control", "no-store");
      return reply.send({ status, checks: report.checks });
    },
  );

  app.get(
    "/startupz",
    {
      config,
      schema: {
        tags: ["health"],
        operationId: "getStartup",
        summary: "Startup probe",
        description:
          "200 once this replica has been ready (credentials loaded, the state backend answering, Face accepting our credentials), and from then on; 503 before. " +
          "The server listens only after Key Vault's secrets are read, so a refused connection also means starting.",
        security: [],
        response: { ...errorResponses([], { rateLimited: false }), 200: startupSchema, 503: startupSchema },
      },
    },
    async (_request, reply) => {
      const started = readiness.started || (await readiness.evaluate()).ready;
      return reply.code(started ? 200 : 503).send({ status: started ? ("started" as const) : ("starting" as const) });
    },
  );
};
