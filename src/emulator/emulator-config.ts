import { z } from "zod";
import { declaredVariables, logLevelSchema, portSchema } from "../lib/env.js";
import { faultPlanJsonSchema } from "./emulator-fault-plan.js";

/** The standalone emulator's environment, declared once; only `emulator-server.ts` reads `process.env`. */
export const emulatorEnvSchema = z.object({
  FACE_EMULATOR_PORT: portSchema
    .default(5001)
    .describe("TCP port the emulator listens on; 0 picks a free one."),
  FACE_EMULATOR_HOST: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe("Interface the standalone emulator binds to; 0.0.0.0 in a container, where loopback is unreachable from other containers."),
  FACE_APIKEY: z
    .string()
    .min(1)
    .optional()
    .describe("The only Ocp-Apim-Subscription-Key accepted; when unset, any non-empty key is."),
  LOG_LEVEL: logLevelSchema.default("info").describe("pino log level."),
  FACE_EMULATOR_FAULTS: faultPlanJsonSchema
    .optional()
    .describe(
      'Faults to inject from startup, as a JSON fault plan: {"seed"?: n, "rules": [...]} or just the rules, e.g. [{"fault":"503","rate":0.1,"retryAfterSeconds":2}]. Rules: fault latency|429|500|503|reset, ms (latency), operations, rate, count, phase. See docs/emulator.md.',
    ),
});

export type EmulatorEnv = z.infer<typeof emulatorEnvSchema>;

export class EmulatorConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid environment variable ${variable}: ${detail}`);
    this.name = "EmulatorConfigError";
  }
}

export function loadEmulatorConfig(env: Record<string, string | undefined>): EmulatorEnv {
  const parsed = emulatorEnvSchema.safeParse(declaredVariables(Object.keys(emulatorEnvSchema.shape), env));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new EmulatorConfigError(String(issue?.path[0] ?? "environment"), issue?.message ?? "invalid");
}
