/**
 * The fault plan's shape: which failures the emulator injects, into which operations, and how often. Validated with
 * zod wherever it enters (buildEmulator options, FACE_EMULATOR_FAULTS, PUT /emulator/faults), so a typo fails loudly.
 *
 *   {"seed": 7, "rules": [{"fault": "503", "rate": 0.2, "retryAfterSeconds": 2}, {"fault": "latency", "ms": 3000,
 *    "operations": ["getLivenessSession"], "count": 1}]}
 */
import { z } from "zod";

import { emulatorOperations } from "./emulator-operations.js";

const operationSelector = z
  .union([z.enum(["all", "management", "device"]), z.array(z.enum(emulatorOperations)).min(1)])
  .default("all")
  .describe('"all" (default), "management" (subscription-key calls), "device" (bearer-token calls), or a list of operation names.');

/** When a rule fires; shared by every kind of fault. */
const trigger = {
  operations: operationSelector,
  rate: z.number().min(0).max(1).optional().describe("Chance per matching request, drawn from the plan's seeded PRNG; absent: every request."),
  count: z.number().int().min(1).optional().describe("Fire at most this many times, then stay quiet (the next N requests, with no rate)."),
  phase: z
    .enum(["before", "after"])
    .default("before")
    .describe('"before": instead of the operation. "after": the operation runs (a session is created or deleted), then its answer is slowed, replaced or lost.'),
};

export const faultRuleSchema = z.discriminatedUnion("fault", [
  z.strictObject({ fault: z.literal("latency"), ms: z.number().int().min(1).max(120_000), ...trigger }),
  z.strictObject({
    fault: z.enum(["429", "503"]),
    retryAfterSeconds: z.number().int().min(0).max(3600).default(1).describe("The Retry-After header, in seconds."),
    ...trigger,
  }),
  z.strictObject({ fault: z.literal("500"), ...trigger }),
  z.strictObject({ fault: z.literal("reset"), ...trigger }),
]);

const planObjectSchema = z.strictObject({
  seed: z.number().int().optional().describe("Seed of the PRNG behind `rate`; the same seed and request order give the same faults."),
  rules: z.array(faultRuleSchema).max(50),
});

/** A plan object, or just its rules: the compact form for an environment variable. */
export const faultPlanSchema = z.preprocess((value) => (Array.isArray(value) ? { rules: value } : value), planObjectSchema);

/** What callers write (defaults optional). */
export type FaultPlanInput = z.input<typeof planObjectSchema> | z.input<typeof planObjectSchema>["rules"];
/** What the emulator runs (defaults filled in). */
export type FaultPlan = z.output<typeof planObjectSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;

/** FACE_EMULATOR_FAULTS: a JSON fault plan in one string. */
export const faultPlanJsonSchema = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "expected a JSON fault plan, e.g. [{\"fault\":\"503\",\"rate\":0.1}]" });
      return z.NEVER;
    }
  })
  .pipe(faultPlanSchema);

/** Parses a plan; the message of the first issue names its path, e.g. `rules.0.fault: Invalid input`. */
export function parseFaultPlan(input: unknown): FaultPlan {
  const parsed = faultPlanSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new FaultPlanError(`${issue?.path.join(".") || "(plan)"}: ${issue?.message ?? "invalid"}`);
}

export class FaultPlanError extends Error {
  override name = "FaultPlanError";
}
