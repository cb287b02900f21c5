/**
 * The GET /v1/sessions cursor (lib/list-cursor.ts): where the previous page stopped, scoped to the filters it was
 * made for, so a cursor replayed with other filters is refused instead of silently skipping sessions.
 */
import { AppError } from "../errors.js";
import { decodeListCursor, encodeListCursor } from "../lib/list-cursor.js";
import type { SessionListPosition } from "../state/session-store.js";
import { sessionIdSchema } from "./session-schemas.js";

export interface ListFilters {
  subject?: string | undefined;
  kind?: string | undefined;
  outcome?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
}

const scopeOf = (filters: ListFilters) =>
  JSON.stringify([filters.subject, filters.kind, filters.outcome, filters.createdFrom, filters.createdTo].map((v) => v ?? null));

export function encodeCursor(position: SessionListPosition, filters: ListFilters): string {
  return encodeListCursor(position, scopeOf(filters));
}

const invalid = (message: string) => new AppError("LSO_ERR_VALIDATION", { fields: [{ path: "querystring.cursor", message }] });

export function decodeCursor(cursor: string, filters: ListFilters): SessionListPosition {
  const position = decodeListCursor(cursor, scopeOf(filters));
  if (position === "other-scope") throw invalid("was issued for other filters; repeat the query with the filters it came from, or start without a cursor");
  const id = position === "invalid" ? undefined : sessionIdSchema.safeParse(position.id).data;
  if (position === "invalid" || id === undefined) throw invalid("is not a cursor this API issued");
  return { createdAt: position.createdAt, id };
}
