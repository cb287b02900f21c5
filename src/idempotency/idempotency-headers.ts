/** The Idempotency-Key request header and the Idempotent-Replayed answer header, as the create route declares them. */
import { z } from "zod";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const IDEMPOTENT_REPLAYED_HEADER = "idempotent-replayed";

/**
 * Visible ASCII only. A header sent twice reaches us joined as "a, b" (Node and light-my-request both join unknown
 * headers with ", "), and the space makes that invalid too, so a repeated key is refused by the same rule.
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, "must be 1 to 255 visible ASCII characters, sent once")
  .describe(
    "Makes the create safe to retry: the same key with the same parameters within 24 hours returns the original 201 " +
      "(auth token included, with Idempotent-Replayed: true) and creates nothing; with different parameters, 422.",
  );

/** Loose: the other headers must stay on the request (fastify replaces request.headers with the parsed value). */
export const createSessionHeadersSchema = z.looseObject({ [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional() });
