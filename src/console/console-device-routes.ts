/**
 * The console's device simulator, emulator mode only. The browser cannot call the emulator itself: it listens on
 * another port (another origin, so CORS and a second CSP source), and the emulator is no place for browser-facing
 * concerns. Instead these routes, on the API's own origin and behind the caller's API key, forward one device call
 * at a time to the embedded emulator's device endpoints, exactly as the phone's SDK would send it (Bearer auth
 * token, the emulator's own body). They are registered only when config.face.endpoint IS the embedded emulator, so
 * in production nothing here exists to forward anything anywhere.
 *
 * The auth token travels in the JSON body and is never logged (request bodies are not logged; a test proves it).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { knownAttemptErrorCodes } from "../emulator/emulator-attempts.js";
import { AppError } from "../errors.js";
import { authErrors, bodyErrors, errorResponses } from "../plugins/error-envelope.js";

const FORWARD_TIMEOUT_MS = 5_000;

const devicePaths = {
  liveness: "/detectLiveness/singleModal",
  livenessWithVerify: "/detectLivenessWithVerify/singleModal",
} as const;

const deviceRequestSchema = z.strictObject({
  kind: z.enum(["liveness", "livenessWithVerify"]),
  authToken: z.string().min(1).max(4096).describe("The session's auth token, as the device SDK holds it."),
  action: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("start") }),
    z.strictObject({
      type: z.literal("result"),
      livenessDecision: z.enum(["realface", "spoofface", "uncertain"]),
      matchConfidence: z.number().min(0).max(1).optional(),
    }),
    z.strictObject({ type: z.literal("error"), errorCode: z.string().regex(/^[A-Za-z]{1,64}$/, "must be a Face attempt error code") }),
  ]),
});

const deviceReplySchema = z.object({
  attemptId: z.number().int().optional(),
  digest: z.string().optional().describe("What the device SDK hands the app when the attempt ends; pass it to /complete."),
  status: z.string().optional(),
});

const emulatorErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

function emulatorBody(action: z.infer<typeof deviceRequestSchema>["action"]): Record<string, unknown> {
  if (action.type === "start") return { start: true };
  if (action.type === "error") return { errorCode: action.errorCode };
  return action.matchConfidence === undefined
    ? { livenessDecision: action.livenessDecision }
    : { livenessDecision: action.livenessDecision, matchConfidence: action.matchConfidence };
}

export interface DeviceRoutesOptions {
  /** The embedded emulator's origin (config.face.endpoint in emulator mode). */
  emulatorUrl: string;
  apiVersion: string;
}

const hidden = { hide: true };
const deviceErrors = errorResponses([...authErrors, ...bodyErrors, "LSO_ERR_DEVICE_REFUSED", "LSO_ERR_UPSTREAM", "LSO_ERR_UPSTREAM_UNAVAILABLE"]);

export const consoleDeviceRoutes: FastifyPluginAsyncZod<DeviceRoutesOptions> = async (app, { emulatorUrl, apiVersion }) => {
  app.get("/device", { schema: { ...hidden, response: { 200: z.object({ errorCodes: z.array(z.string()) }) } } }, async () => ({
    errorCodes: knownAttemptErrorCodes,
  }));

  app.post(
    "/device",
    { schema: { ...hidden, body: deviceRequestSchema, response: { 200: deviceReplySchema, ...deviceErrors } } },
    async (request) => {
      const { kind, authToken, action } = request.body;
      let response: Response;
      try {
        response = await fetch(`${emulatorUrl}/face/${apiVersion}${devicePaths[kind]}`, {
          method: "POST",
          headers: { authorization: `Bearer ${authToken}`, "content-type": "application/json" },
          body: JSON.stringify(emulatorBody(action)),
          signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
        });
      } catch (error) {
        throw new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { message: "The embedded Face emulator did not answer.", cause: error });
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (response.ok) {
        const reply = deviceReplySchema.safeParse(body);
        if (reply.success) return reply.data;
        throw new AppError("LSO_ERR_UPSTREAM", { message: "The embedded Face emulator answered the device call with an unexpected body." });
      }
      const refused = emulatorErrorSchema.safeParse(body);
      const code = refused.success ? refused.data.error.code : String(response.status);
      const message = refused.success ? refused.data.error.message : `HTTP ${response.status}`;
      throw new AppError("LSO_ERR_DEVICE_REFUSED", { message: `The emulator refused the device's call: ${message}`, faceCode: code });
    },
  );
};
