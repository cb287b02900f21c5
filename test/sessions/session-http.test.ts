/**
 * ETags and the content tags a long-poll watches: an ETag changes with any byte of the view, its content part only
 * with what the caller would call a change (not checkedAt), and the content part is read back from If-None-Match.
 */
import { describe, expect, it } from "vitest";
import { contentTagOf, contentTagsOf, etagOf } from "../../src/sessions/session-http.js";
import type { SessionView } from "../../src/sessions/session-schemas.js";

const view = (checkedAt: string, status: SessionView["status"] = "notStarted") =>
  ({
    id: "7b0c3f5e-0000-4000-8000-000000000001",
    kind: "liveness",
    status,
    createdAt: "2026-01-01T00:00:00.000Z",
    authTokenExpiresAt: "2026-01-01T00:10:00.000Z",
    checkedAt,
    attempts: [],
    latestAttempt: null,
    livenessDecision: null,
    verifyResult: null,
    digest: null,
    hasSessionImage: false,
    decision: { outcome: "pending", reasons: [], decidedAt: null },
  }) as unknown as SessionView;

describe("session ETags", () => {
  it("when only checkedAt differs, then the ETags differ and their content tags are equal", () => {
    const [a, b] = [view("2026-01-01T00:00:01.000Z"), view("2026-01-01T00:00:02.000Z")];
    expect(etagOf(a)).not.toBe(etagOf(b));
    expect(contentTagsOf(etagOf(a))).toEqual(contentTagsOf(etagOf(b)));
    expect(contentTagsOf(etagOf(a))).toEqual([contentTagOf(a)]);
  });

  it("when the status differs, then the content tags differ", () => {
    expect(contentTagOf(view("2026-01-01T00:00:01.000Z"))).not.toBe(contentTagOf(view("2026-01-01T00:00:01.000Z", "running")));
  });

  it("when If-None-Match lists weak, strong, foreign and wildcard tags, then only ours are read back", () => {
    const a = view("2026-01-01T00:00:01.000Z");
    const b = view("2026-01-01T00:00:01.000Z", "running");
    const header = `W/${etagOf(a)}, "short", *, ${etagOf(b)}, not-quoted`;
    expect(contentTagsOf(header)).toEqual([contentTagOf(a), contentTagOf(b)]);
    expect(contentTagsOf(undefined)).toEqual([]);
    expect(contentTagsOf("*")).toEqual([]);
  });
});
