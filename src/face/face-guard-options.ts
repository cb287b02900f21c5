/**
 * The quota guard's settings: the environment fragment (merged into src/config.ts) and the options object the guard
 * takes. Defaults fit an S0 Face resource (10 TPS); an F0 resource allows 20 calls per minute, i.e. FACE_MAX_TPS=0.33.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/identity-quotas-limits
 */
import { z } from "zod";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const faceGuardEnvSchema = z.object({
  FACE_MAX_TPS: z.coerce
    .number()
    .positive()
    .max(1000)
    .default(10)
    .describe("Calls per second sent to Face, all operations together (S0: 10; F0's 20 per minute: 0.33). Bursts up to this many."),
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

export type FaceGuardEnv = z.infer<typeof faceGuardEnvSchema>;

export interface FaceGuardOptions {
  /** Token refill rate, calls per second. */
  maxTps: number;
  /** Bucket size: calls that may go back to back after a quiet spell. Defaults to maxTps (at least 1). */
  burst?: number;
  maxQueue: number;
  maxWaitMs: number;
  retry: {
    maxAttempts: number;
    /** First backoff step; doubles per retry up to maxDelayMs, with equal jitter. */
    baseDelayMs?: number;
    maxDelayMs?: number;
    /** No retry starts later than this after the call began, so a caller's wait stays bounded. */
    budgetMs?: number;
  };
  breaker: { failureThreshold: number; cooldownMs: number };
}

/** Every option filled in; what the guard works with. */
export interface ResolvedFaceGuardOptions extends FaceGuardOptions {
  burst: number;
  retry: Required<FaceGuardOptions["retry"]>;
}

export const faceGuardDefaults: FaceGuardOptions = {
  maxTps: 10,
  maxQueue: 100,
  maxWaitMs: 2000,
  retry: { maxAttempts: 3 },
  breaker: { failureThreshold: 5, cooldownMs: 10_000 },
};

export function faceGuardOptionsFromEnv(env: FaceGuardEnv): FaceGuardOptions {
  return {
    maxTps: env.FACE_MAX_TPS,
    maxQueue: env.FACE_MAX_QUEUE,
    maxWaitMs: env.FACE_MAX_WAIT_MS,
    retry: { maxAttempts: env.FACE_RETRY_MAX_ATTEMPTS },
    breaker: { failureThreshold: env.FACE_BREAKER_FAILURES, cooldownMs: env.FACE_BREAKER_COOLDOWN_MS },
  };
}

export function resolveFaceGuardOptions(options: FaceGuardOptions): ResolvedFaceGuardOptions {
  const { retry } = options;
  return {
    ...options,
    burst: options.burst ?? Math.max(1, Math.floor(options.maxTps)),
    retry: {
      maxAttempts: retry.maxAttempts,
      baseDelayMs: retry.baseDelayMs ?? 100,
      maxDelayMs: retry.maxDelayMs ?? 1000,
      // Room for the default 2 s queue wait plus a couple of backoffs; a retry is pointless once the caller gave up.
      budgetMs: retry.budgetMs ?? 5000,
    },
  };
}
