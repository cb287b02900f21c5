import { z } from "zod";
import { int } from "./config-fields.js";

/**
 * The Face quota guard's variables. Defaults fit an S0 Face resource (10 TPS); an F0 resource allows 20 calls per
 * minute, i.e. FACE_MAX_TPS=0.33.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/identity-quotas-limits
 */
export const faceGuardEnvSchema = z.object({
  FACE_MAX_TPS: z.coerce
    .number()
    .positive()
    .max(1000)
    .default(10)
    .describe(
      "Calls per second sent to the Face resource, all operations and all replicas together (S0: 10; F0's 20 per minute: 0.33), spaced evenly. Replicas on one Redis state share one quota.",
    ),
  FACE_BACKGROUND_SHARE: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(0.3)
    .describe("The share of FACE_MAX_TPS the background loop's own Face reads may use at most (above 0, up to 1); callers' calls always come first."),
  FACE_MAX_QUEUE: int(0, 10_000)
    .default(100)
    .describe("Calls that may wait for their turn to Face; beyond it a call is answered 503 at once, without calling Face."),
  FACE_MAX_WAIT_MS: int(0, 60_000)
    .default(2000)
    .describe("Longest a call waits for its turn to Face (quota or Face's Retry-After); a longer wait is answered 503 at once."),
  FACE_RETRY_MAX_ATTEMPTS: int(1, 10)
    .default(3)
    .describe("Attempts per call for operations safe to repeat (read, delete, probe); 1 disables retries. Creates are never retried."),
  FACE_BREAKER_FAILURES: int(1, 1000)
    .default(5)
    .describe("Consecutive Face failures (5xx, timeouts) that open the circuit breaker; while open, calls fail fast with 503."),
  FACE_BREAKER_COOLDOWN_MS: int(100, 600_000)
    .default(10_000)
    .describe("How long the breaker stays open before one trial call is let through."),
});

/** The guard's settings; app.ts hands them to the guard, whose FaceGuardOptions they must fit (checked structurally). */
export interface FaceGuardSettings {
  maxTps: number;
  backgroundShare: number;
  maxQueue: number;
  maxWaitMs: number;
  retry: { maxAttempts: number };
  breaker: { failureThreshold: number; cooldownMs: number };
}

export function faceGuardOptionsFromEnv(env: z.infer<typeof faceGuardEnvSchema>): FaceGuardSettings {
  return {
    maxTps: env.FACE_MAX_TPS,
    backgroundShare: env.FACE_BACKGROUND_SHARE,
    maxQueue: env.FACE_MAX_QUEUE,
    maxWaitMs: env.FACE_MAX_WAIT_MS,
    retry: { maxAttempts: env.FACE_RETRY_MAX_ATTEMPTS },
    breaker: { failureThreshold: env.FACE_BREAKER_FAILURES, cooldownMs: env.FACE_BREAKER_COOLDOWN_MS },
  };
}
