/**
 * /healthz says the process is alive (for restarts); /readyz says whether it can do useful work (for load balancers):
 * only when Face, or the emulator, answers with our credentials. The probe result is cached briefly and shared by
 * concurrent callers, so probes from many balancers cost Face one call per interval.
 *
 * Anyone may ask /readyz (balancers send no key), so its public answer is only ready or not. The checks behind it
 * (Face's error code, where the credentials come from, how old the Key Vault values are) describe the operator's
 * set-up, which tells an attacker what to aim at; they are shown to an operator key (ADMIN_API_KEYS, x-admin-key)
 * only. Not to a caller key: tenants have no business with how the service holds its secrets.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ADMIN_KEY_HEADER } from "../admin/admin-auth.js";
import type { ApiKeyEntry } from "../lib/api-key-list.js";
import { ApiKeyRing } from "../credentials/api-key-ring.js";
import { AppError, isAppError } from "../errors.js";
import { authErrors, errorResponses } from "./error-envelope.js";
import type { CredentialsStatus } from "../credentials/credentials.js";
import type { FaceGateway } from "../face/face-gateway.js";
import type { Clock } from "../lib/clock.js";

const PROBE_CACHE_MS = 5_000;

const checkSchema = z.object({ status: z.enum(["up", "down"]), code: z.string().optional() });
const credentialsCheckSchema = z.object({
  status: z.enum(["up", "stale"]).describe("stale: Key Vault has not answered for two refresh intervals; the last good values are in use."),
  source: z.enum(["environment", "keyVault"]),
  faceAuth: z.enum(["key", "keyVault", "entraId"]),
  ageSeconds: z.number().int().optional().describe("Seconds since the Key Vault values were last confirmed."),
});
const readinessSchema = z
  .object({
    status: z.enum(["ready", "notReady"]),
    checks: z
      .object({ face: checkSchema, credentials: credentialsCheckSchema })
      .optional()
      .describe("Only for an operator: sent when x-admin-key holds a key from ADMIN_API_KEYS."),
  })
  .meta({ id: "Readiness" });

type Check = z.infer<typeof checkSchema>;

export interface HealthOptions {
  face: FaceGateway;
  clock: Clock;
  credentials: () => CredentialsStatus;
  /** ADMIN_API_KEYS: a request carrying one of these in x-admin-key sees the readiness checks. */
  adminKeys: readonly ApiKeyEntry[];
}

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, { face, clock, credentials, adminKeys }) => {
  const operators = new ApiKeyRing(adminKeys);
  let cached: { at: number; check: Check } | undefined;
  let inFlight: Promise<Check> | undefined;

  const probeFace = async (): Promise<Check> => {
    if (cached && clock.now() - cached.at < PROBE_CACHE_MS) return cached.check;
    inFlight ??= face
      .probe()
      .then((): Check => ({ status: "up" }))
      .catch((error: unknown): Check => {
        app.log.warn({ code: isAppError(error) ? error.code : undefined }, "readiness: Face probe failed");
        return { status: "down", code: isAppError(error) ? error.code : "LSO_ERR_INTERNAL" };
      })
      .then((check) => {
        cached = { at: clock.now(), check };
        inFlight = undefined;
        return check;
      });
    return inFlight;
  };

  app.get(
    "/healthz",
    {
      schema: {
        tags: ["health"],
        operationId: "getLiveness",
        summary: "Liveness probe",
        security: [],
        response: { 200: z.object({ status: z.literal("ok") }), ...errorResponses([]) },
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
      schema: {
        tags: ["health"],
        operationId: "getReadiness",
        summary: "Readiness probe",
        description: "Public: ready or not. With an operator key (ADMIN_API_KEYS) in x-admin-key, also the checks behind the answer.",
        // No key needed; an operator key is optional and adds the checks.
        security: [{}, { adminKey: [] }],
        // 503 is the readiness body (not the error envelope): Face, or the emulator, does not answer.
        response: { ...errorResponses(authErrors), 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (request, reply) => {
      const detailed = isOperator(request.headers[ADMIN_KEY_HEADER]);
      const faceCheck = await probeFace();
      const ready = faceCheck.status === "up";
      const status = ready ? ("ready" as const) : ("notReady" as const);
      if (!detailed) return reply.code(ready ? 200 : 503).send({ status });
      const { source, faceAuth, keyVault } = credentials();
      const credentialsCheck = {
        // Stale values still work (Face answered above): serving on them beats refusing every request.
        status: keyVault?.stale ? ("stale" as const) : ("up" as const),
        source,
        faceAuth,
        ...(keyVault && { ageSeconds: keyVault.ageSeconds }),
      };
      // The operator's answer names the set-up: never to be kept by a shared cache.
      reply.header("cache-control", "no-store");
      return reply.code(ready ? 200 : 503).send({ status, checks: { face: faceCheck, credentials: credentialsCheck } });
    },
  );
};
