/** Event → entry: an allow-list per event type; secrets, digests, prose and URL paths never make it in. */
import { describe, expect, it } from "vitest";
import { toAuditEntry } from "../../src/audit/audit-entry.js";
import { auditEntrySchema } from "../../src/audit/audit-schemas.js";
import type { SessionEvent } from "../../src/state/session-events.js";

const at = Date.parse("2026-01-01T00:00:00.000Z");
const base = { sessionId: "11111111-2222-3333-4444-555555555555", clientId: "acme", at, actor: "acme" };
const iso = (ms: number) => new Date(ms).toISOString();

describe("toAuditEntry", () => {
  it.each<[string, SessionEvent, Record<string, unknown>]>([
    [
      "created",
      { ...base, type: "created", kind: "liveness", subject: "user-42", callbackUrl: "https://hooks.example.com:8443/cb/s3cr3t?sig=abc", faceRequestId: "req-1" },
      { kind: "liveness", callbackOrigin: "https://hooks.example.com:8443", faceRequestId: "req-1" },
    ],
    ["tokenIssued", { ...base, type: "tokenIssued", authTokenExpiresAt: at + 600_000 }, { tokenExpiresAt: iso(at + 600_000) }],
    [
      "attemptSeen",
      { ...base, actor: "system", type: "attemptSeen", attemptId: 2, attemptStatus: "failed", modelVersion: "2024-11-15" },
      { actor: "system", attemptId: 2, attemptStatus: "failed", modelVersion: "2024-11-15" },
    ],
    [
      "decided",
      {
        ...base,
        type: "decided",
        decision: { outcome: "retry", reasons: [{ code: "FACE_WITH_MASK_DETECTED", faceCode: "FaceWithMaskDetected", advice: "Take off your mask." }], decidedAt: null },
        digestCheck: "match",
        modelVersion: "2024-11-15",
      },
      { outcome: "retry", reasons: [{ code: "FACE_WITH_MASK_DETECTED", faceCode: "FaceWithMaskDetected" }], digestCheck: "match", modelVersion: "2024-11-15" },
    ],
    [
      "webhookDelivered",
      { ...base, actor: "system", type: "webhookDelivered", webhookId: "wh-1", attempt: 1, status: 204 },
      { actor: "system", webhookId: "wh-1", webhookAttempt: 1, httpStatus: 204 },
    ],
    [
      "webhookFailed",
      { ...base, actor: "system", type: "webhookFailed", webhookId: "wh-1", attempt: 3, final: true, status: 500, error: "HTTP_500" },
      { actor: "system", webhookId: "wh-1", webhookAttempt: 3, final: true, httpStatus: 500, errorCode: "HTTP_500" },
    ],
    ["deletedAtFace", { ...base, type: "deletedAtFace", faceRequestId: "req-9" }, { faceRequestId: "req-9" }],
    ["imageRetained", { ...base, actor: "system", type: "imageRetained", retainUntil: at + 3_600_000 }, { actor: "system", retainUntil: iso(at + 3_600_000) }],
    ["imageDeleted", { ...base, actor: "system", type: "imageDeleted" }, { actor: "system" }],
  ])("when a %s event is recorded, then the entry holds exactly its allow-listed fields", (type, event, expected) => {
    const entry = toAuditEntry(event);
    expect(entry).toStrictEqual({ at: iso(at), event: type, actor: "acme", ...expected });
    expect(auditEntrySchema.safeParse(entry).success).toBe(true);
  });

  it("when an event carries fields outside its allow-list (a token, an image, a subject), then none reaches the entry", () => {
    const smuggled = { ...base, type: "tokenIssued", authTokenExpiresAt: at, authToken: "tok-SECRET", verifyImage: "AAAA", subject: "user-42", digest: "d1g3st" };
    const text = JSON.stringify(toAuditEntry(smuggled as SessionEvent));
    for (const secret of ["tok-SECRET", "AAAA", "user-42", "d1g3st", "clientId", "sessionId"]) expect(text).not.toContain(secret);
  });

  it.each([
    ["network error: ECONNREFUSED", "ECONNREFUSED"],
    ["timeout: no answer within 5000 ms", "timeout"],
    ["refused target: loopback address", "refused-target"],
    ["HTTP_500", "HTTP_500"],
    ["network error: ECONNREFUSED https://hooks.example.com/?t=1", "network-error"],
    ["connect ECONNREFUSED https://hooks.example.com/cb?token=abc", undefined],
  ])("when a webhook fails with %j, then the entry's errorCode is %j", (error, errorCode) => {
    const entry = toAuditEntry({ ...base, type: "webhookFailed", webhookId: "wh-1", attempt: 1, final: false, error });
    expect(entry.errorCode).toBe(errorCode);
  });

  it("when a code field holds prose, a URL or an over-long value, then that field is dropped, not stored", () => {
    const entry = toAuditEntry({
      ...base,
      type: "webhookFailed",
      webhookId: "x".repeat(101),
      attempt: 1.5,
      final: false,
      error: "connect ECONNREFUSED https://hooks.example.com/cb?token=abc",
      faceRequestId: "https://evil/?q=1",
    });
    expect(entry).toStrictEqual({ at: iso(at), event: "webhookFailed", actor: "acme", final: false });
  });

  it("when the callback URL carries credentials or is not a URL, then no origin or credential is recorded", () => {
    const withUser = toAuditEntry({ ...base, type: "created", kind: "liveness", callbackUrl: "https://user:pw@hooks.example.com/x" });
    expect(withUser.callbackOrigin).toBe("https://hooks.example.com");
    expect(JSON.stringify(withUser)).not.toContain("pw");
    expect(toAuditEntry({ ...base, type: "created", kind: "liveness", callbackUrl: "not a url" })).not.toHaveProperty("callbackOrigin");
  });
});
