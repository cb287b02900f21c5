/**
 * /healthz says the process is alive (for restarts); /readyz says whether it can do useful work (for load balancers):
 * only when Face, or the emulator, answers with our credentials. The probe result is cached briefly and shared by
 * concurrent callers, so probes from many balancers cost Face one call per interval.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { isAppError } from "../errors.js";
import { errorResponses } from "./error-envelope.js";
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
  .object({ status: z.enum(["ready", "notReady"]), checks: z.object({ face: checkSchema, credentials: credentialsCheckSchema }) })
  .meta({ id: "Readiness" });

type Check = z.infer<typeof checkSchema>;

export interface HealthOptions {
  face: FaceGateway;
  clock: Clock;
  credentials: () => CredentialsStatus;
}

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, { face, clock, credentials }) => {
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

  app.get(
    "/readyz",
    {
      schema: {
        tags: ["health"],
        operationId: "getReadiness",
        summary: "Readiness probe",
        security: [],
        // 503 is the readiness body (not the error envelope): Face, or the emulator, does not answer.
        response: { ...errorResponses([]), 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const faceCheck = await probeFace();
      const { source, faceAuth, keyVault } = credentials();
      const credentialsCheck = {
        // Stale values still work (Face answered above): serving on them beats refusing every request.
        status: keyVault?.stale ? ("stale" as const) : ("up" as const),
        source,
        faceAuth,
        ...(keyVault && { ageSeconds: keyVault.ageSeconds }),
      };
      const ready = faceCheck.status === "up";
      return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "notReady", checks: { face: faceCheck, credentials: credentialsCheck } });
    },
  );
};
