/** Pieces every environment schema in this repo shares (the API's and the standalone emulator's). */
import { z } from "zod";

export const portSchema = z.coerce.number().int().min(0).max(65535);

export const logLevelSchema = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * The variables a schema declares, trimmed, with `VAR=` (empty) treated as unset, as most .env tooling does.
 * Undeclared variables are dropped, so the rest of the process environment never reaches a parser.
 */
export function declaredVariables(names: readonly string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) out[name] = value;
  }
  return out;
}

/** JSON text, parsed and then validated by `schema`, with one clear message when it is not JSON at all. */
export const jsonOf = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);
