/**
 * The one cursor format of every paged list: where the previous page stopped, (createdAt, id), plus a fingerprint
 * of what the list was for (its filters, its session), so a cursor replayed on another list is refused instead of
 * silently skipping items. base64url JSON: opaque to callers but not secret, since a forged one can only move the
 * caller within what it may already read (who is asking comes from the API key, never from the cursor).
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** A cursor is a few dozen characters; anything much longer is not one of ours. */
export const MAX_CURSOR_CHARS = 256;

export interface ListPosition {
  createdAt: number;
  id: string;
}

const cursorSchema = z.strictObject({
  v: z.literal(1),
  t: z.number().int().min(0),
  i: z.string().min(1).max(128),
  f: z.string(),
});

/** A short hash of the list's scope: the cursor carries it, never the scope itself. */
const fingerprint = (scope: string) => createHash("sha256").update(scope).digest("base64url").slice(0, 16);

export function encodeListCursor(position: ListPosition, scope: string): string {
  return Buffer.from(JSON.stringify({ v: 1, t: position.createdAt, i: position.id, f: fingerprint(scope) })).toString("base64url");
}

/** The position, "invalid" for a string this API did not issue, or "other-scope" for one issued for another list. */
export function decodeListCursor(cursor: string, scope: string): ListPosition | "invalid" | "other-scope" {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return "invalid";
  let parsed: z.ZodSafeParseResult<z.infer<typeof cursorSchema>>;
  try {
    parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    return "invalid";
  }
  if (!parsed.success) return "invalid";
  if (parsed.data.f !== fingerprint(scope)) return "other-scope";
  return { createdAt: parsed.data.t, id: parsed.data.i };
}
