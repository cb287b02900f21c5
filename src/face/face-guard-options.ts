/**
 * The quota guard's options (src/config.ts reads them from FACE_MAX_TPS and friends). Defaults fit an S0 Face
 * resource (10 TPS); an F0 resource allows 20 calls per minute, i.e. maxTps 0.33.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/identity-quotas-limits
 */
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
