/** The /admin API shapes: strict requests, allow-listed responses, as for /v1. */
import { z } from "zod";
import { plainText } from "../lib/plain-text.js";

/** As in API_KEYS (lib/api-key-list.ts): letters, digits, '.', '_' or '-', 1 to 64. */
export const lockoutParamsSchema = z.object({
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be a clientId")
    .describe("The API client whose subject or device is locked out (its clientId in API_KEYS)."),
});

export const lockoutQuerySchema = z
  .strictObject({
    // The same rule as at create: such a value cannot be locked out, and would only carry control codes into the audit line.
    subject: plainText(z.string().min(1).max(128)).optional().describe("The subject, as the client sent it at create."),
    deviceCorrelationId: plainText(z.string().min(1).max(64)).optional().describe("The deviceCorrelationId, as the client sent it at create."),
  })
  .refine((q) => (q.subject === undefined) !== (q.deviceCorrelationId === undefined), {
    message: "give exactly one of subject or deviceCorrelationId",
  });

export type LockoutQuery = z.infer<typeof lockoutQuerySchema>;

export const lockoutStatusSchema = z
  .object({
    clientId: z.string(),
    subject: z.string().optional(),
    deviceCorrelationId: z.string().optional(),
    locked: z.boolean().describe("True while new sessions for this subject or device are refused with 429 LSO_ERR_LOCKED_OUT."),
    lockedUntil: z.iso.datetime().nullable().describe("When the lockout ends; null when not locked."),
    retryAfterSeconds: z.number().int().nullable().describe("Seconds until the lockout ends, as the 429's Retry-After says; null when not locked."),
    recentFailures: z
      .number()
      .int()
      .describe("Declined or spoof outcomes counted within the current window (LOCKOUT_WINDOW_SECONDS); a lockout starts a fresh count."),
  })
  .meta({ id: "LockoutStatus" });

export type LockoutStatusView = z.infer<typeof lockoutStatusSchema>;
