/** HTTP details of the session routes: the conditional-read header and ETags. (A client digest in the query string is masked by logger.ts, as every query value is.) */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { SessionView } from "./session-schemas.js";

/** GET /v1/sessions/{id}'s conditional request header; loose, so the other headers stay on the request. */
export const readSessionHeadersSchema = z.looseObject({
  "if-none-match": z.string().optional().describe("An ETag from an earlier answer (or a list, or *): 304 with no body while the view still has it."),
});

const digest = (text: string, length: number) => createHash("sha256").update(text).digest("base64url").slice(0, length);

/** Characters of an ETag that tag the view's content (everything but checkedAt). */
const CONTENT_TAG_LENGTH = 27;

/**
 * A hash of the view's content, without checkedAt: what a long-poll watches. checkedAt moves with any read of Face,
 * even one that found nothing new, so it says nothing about whether the caller's view is out of date.
 */
export function contentTagOf(view: SessionView): string {
  const { checkedAt: _checkedAt, ...content } = view;
  return digest(JSON.stringify(content), CONTENT_TAG_LENGTH);
}

/**
 * A strong ETag over the exact view (any change in the body changes it): the content tag, then a short hash of
 * checkedAt. So the content tag can be read back from an ETag a caller sends (contentTagsOf).
 */
export function etagOf(view: SessionView): string {
  return `"${contentTagOf(view)}${digest(view.checkedAt, 8)}"`;
}

/** The content tags in an If-None-Match value; "*" and tags not ours are skipped. */
export function contentTagsOf(ifNoneMatch: string | undefined): string[] {
  if (!ifNoneMatch) return [];
  return ifNoneMatch
    .split(",")
    .map((tag) => /^(?:W\/)?"([\w-]+)"$/.exec(tag.trim())?.[1])
    .filter((tag): tag is string => tag !== undefined && tag.length === CONTENT_TAG_LENGTH + 8)
    .map((tag) => tag.slice(0, CONTENT_TAG_LENGTH));
}

/** RFC 9110 §13.1.2: weak comparison, a list of tags, or "*". */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value.replace(/^W\//, "") === etag;
  });
}
