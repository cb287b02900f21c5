/**
 * The decision as the API publishes it (session views, webhooks, audit entries), and which outcomes are final. The
 * plain types live in state/session-record.ts, where records store them; these schemas must describe exactly those
 * types, which the checks at the bottom prove at compile time.
 */
import { z } from "zod";
import { decisionOutcomes, type Decision, type DecisionOutcome, type DecisionReason } from "../../state/session-record.js";

export const decisionOutcomeSchema = z.enum(decisionOutcomes);

export const decisionReasonSchema = z.object({
  /** Stable machine code, e.g. SPOOF_DETECTED, DIGEST_MISMATCH, FACE_WITH_MASK_DETECTED; documented in the README. */
  code: z.string(),
  /** Face's own code where the reason comes from an attempt error, e.g. FaceWithMaskDetected. */
  faceCode: z.string().optional(),
  /** What to tell the end user, for reasons they can act on (retry outcomes). */
  advice: z.string().optional(),
});

export const decisionSchema = z
  .object({
    outcome: decisionOutcomeSchema,
    reasons: z.array(decisionReasonSchema),
    /** When the outcome became final; null while pending. */
    decidedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Decision" });

/** Outcomes that will not change any more: a webhook is sent and cleanup may run. */
export const settledOutcomes: ReadonlySet<DecisionOutcome> = new Set(["approved", "declined", "review", "expired", "abandoned"]);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _reasonMatches: Same<z.infer<typeof decisionReasonSchema>, DecisionReason> = true;
const _decisionMatches: Same<z.infer<typeof decisionSchema>, Decision> = true;
