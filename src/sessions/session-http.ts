/** HTTP details of the session routes: the conditional-read header and ETags. (A client digest in the query string is masked by logger.ts, as every query value is.) */
import { createHash } from "node:crypto";
import { z } from "zod";

/** GET /v1/sessions/{id}'s conditional request header; loose, so the other headers stay on the request. */
export const readSessionHeadersSchema = z.looseObject({
  "if-none-match": z.string().optional().describe("An ETag from an earlier answer (or a list, or *): 304 with no body while the view still has it."),
});

/** A strong ETag over the exact view: any change in the body changes it. */
export function etagOf(view: unknown): string {
  return `"${createHash("sha256").update(JSON.stringify(view)).digest("base64url").slice(0, 27)}"`;
}

/** RFC 9110 §13.1.2: weak comparison, a list of tags, or "*". */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value.replace(/^W\//, "") === etag;
  });
}
