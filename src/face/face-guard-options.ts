/**
 * The quota guard's options (src/config.ts reads them from FACE_MAX_TPS and friends). Defaults fit an S0 Face
 * resource (10 TPS); an F0 resource allows 20 calls per minute, i.e. maxTps 0.33.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/identity-quotas-limits
 */
export interface FaceGuardOptions {
  /** Token refill rate, calls per second, for the whole Face resource (every replica together). */
  maxTps: number;
  /**
   * Bucket size: calls that may go back to back after a quiet spell. Defaults to 1: calls are spaced 1/maxTps apart,
   * so no second ever holds more than maxTps + 1 of them. A burst of maxTps followed by the steady rate would put
   * nearly 2 × maxTps into one second, which a per-second quota counted over any window refuses.
   */
  burst?: number;
  /** The share of maxTps the background loop's reads may use at most (0 to 1); callers keep the rest. */
  backgroundShare?: number;
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
  backgroundShare: number;
  retry: Required<FaceGuardOptions["retry"]>;
}

/** Background reads can wait; a caller cannot. Three in ten calls leaves callers most of the quota. */
const DEFAULT_BACKGROUND_SHARE = 0.3;

export const faceGuardDefaults: FaceGuardOptions = {
  maxTps: 10,
  backgroundShare: DEFAULT_BACKGROUND_SHARE,
  maxQueue: 100,
  maxWaitMs: 2000,
  retry: { maxAttempts: 3 },
  breaker: { failureThreshold: 5, cooldownMs: 10_000 },
};

export function resolveFaceGuardOptions(options: FaceGuardOptions): ResolvedFaceGuardOptions {
  const { retry } = options;
  return {
    ...options,
    burst: options.burst ?? 1,
    backgroundShare: options.backgroundShare ?? DEFAULT_BACKGROUND_SHARE,
    retry: {
      maxAttempts: retry.maxAttempts,
      baseDelayMs: retry.baseDelayMs ?? 100,
      maxDelayMs: retry.maxDelayMs ?? 1000,
      // Room for the default 2 s queue wait plus a couple of backoffs; a retry is pointless once the caller gave up.
      budgetMs: retry.budgetMs ?? 5000,
    },
  };
}
