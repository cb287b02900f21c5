/**
 * The list cursor: where the previous page stopped, (createdAt, id), plus a fingerprint of the filters it was made
 * for, so a cursor replayed with other filters is refused instead of silently skipping sessions. It is opaque to
 * callers but not secret: a forged one can only move the caller within their own sessions (the client id comes from
 * the API key, never from the cursor).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { AppError } from "../errors.js";
import type { SessionListPosition } from "../state/session-store.js";
import { sessionIdSchema } from "./session-schemas.js";

export interface ListFilters {
  subject?: string | undefined;
  kind?: string | undefined;
  outcome?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
}

const cursorSchema = z.strictObject({
  v: z.literal(1),
  t: z.number().int().min(0),
  i: sessionIdSchema,
  f: z.string(),
});

function fingerprint(filters: ListFilters): string {
  const canonical = JSON.stringify([filters.subject, filters.kind, filters.outcome, filters.createdFrom, filters.createdTo].map((v) => v ?? null));
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}

export function encodeCursor(position: SessionListPosition, filters: ListFilters): string {
  return Buffer.from(JSON.stringify({ v: 1, t: position.createdAt, i: position.id, f: fingerprint(filters) })).toString("base64url");
}

const invalid = (message: string) => new AppError("LSO_ERR_VALIDATION", { fields: [{ path: "querystring.cursor", message }] });

export function decodeCursor(cursor: string, filters: ListFilters): SessionListPosition {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid("is not a cursor this API issued");
  let parsed: z.ZodSafeParseResult<z.infer<typeof cursorSchema>>;
  try {
    parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw invalid("is not a cursor this API issued");
  }
  if (!parsed.success) throw invalid("is not a cursor this API issued");
  if (parsed.data.f !== fingerprint(filters)) throw invalid("was issued for other filters; repeat the query with the filters it came from, or start without a cursor");
  return { createdAt: parsed.data.t, id: parsed.data.i };
}
