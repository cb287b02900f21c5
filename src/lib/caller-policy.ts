/**
 * Per-client policy: what each API client may do. Operators set it in CLIENT_POLICIES, or in the Key Vault secret
 * that holds the client's keys; a client without an entry gets the "*" entry, else the defaults below.
 */
import { z } from "zod";

/** How this client's sessions are decided (sessions/decision/decision-policy.ts). Defaults are the strict ones. */
export const decisionPolicySchema = z.strictObject({
  verifyThreshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("For verify sessions: also require matchConfidence at or above this, on top of Face's isIdentical."),
  reviewOnRepeatedUncertain: z
    .boolean()
    .default(true)
    .describe("An uncertain result after a retry (a second uncertain attempt, or the last attempt) settles as review, not retry."),
  requireClientDigest: z
    .boolean()
    .default(true)
    .describe("A real face is approved only once the caller passed the device SDK's digest and it matched; until then pending."),
  exposeScores: z.boolean().default(false).describe("Show Face's raw matchConfidence in session views."),
});

export type DecisionPolicy = z.infer<typeof decisionPolicySchema>;

export const callerPolicySchema = z.strictObject({
  allowedKinds: z
    .array(z.enum(["liveness", "livenessWithVerify"]))
    .min(1)
    .default(["liveness", "livenessWithVerify"])
    .describe("Session kinds this client may create."),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).default(600).describe("Requests per minute this client may make."),
  faceQuotaWeight: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(1)
    .describe(
      "This client's weight when calls wait for the Face quota: within a priority, waiting clients take turns, and a client of weight w gets up to w calls through per turn. Per replica (each replica's queue); the quota itself is shared.",
    ),
  maxTokenTtlSeconds: z.number().int().min(60).max(86_400).default(86_400).describe("The longest authTokenTtlSeconds this client may ask for."),
  sessionImages: z.boolean().default(true).describe("Whether this client may set enableSessionImage."),
  requireConsent: z
    .boolean()
    .default(false)
    .describe("Every create must carry consent evidence; one without it answers 422 LSO_ERR_CONSENT_REQUIRED before Face is called."),
  maxLiveSessions: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("Live (unsettled, token not lapsed) sessions this client may hold at once; unset: SESSION_MAX_LIVE_PER_CLIENT."),
  // prefault, not default: zod 4 returns a default as is, so the inner defaults would not apply to `{}`.
  decision: decisionPolicySchema.prefault({}).describe("How outcomes are decided for this client."),
});

export type CallerPolicy = z.infer<typeof callerPolicySchema>;

export const DEFAULT_POLICY_KEY = "*";

/** `{ "<clientId>" | "*": policy }`; every field of a policy is optional and defaults as above. */
export const callerPoliciesSchema = z.record(z.string().regex(/^(\*|[A-Za-z0-9._-]{1,64})$/, "must be a clientId or *"), callerPolicySchema);

export type CallerPolicies = z.infer<typeof callerPoliciesSchema>;

export const defaultPolicy: CallerPolicy = callerPolicySchema.parse({});

/**
 * The policies in force, replaced whole when Key Vault delivers new ones (like the key ring), so a request sees
 * either the old set or the new one.
 */
export class PolicyBook {
  private policies: CallerPolicies;

  constructor(policies: CallerPolicies = {}) {
    this.policies = policies;
  }

  replace(policies: CallerPolicies): void {
    this.policies = policies;
  }

  of(clientId: string): CallerPolicy {
    return this.policies[clientId] ?? this.policies[DEFAULT_POLICY_KEY] ?? defaultPolicy;
  }
}
