/** The create's 201 body, written out by hand: the same bytes as the response schema's own encoding, or none. */
import { describe, expect, it } from "vitest";
import { encodeSessionCreated, sessionCreatedSchema } from "../../src/sessions/session-schemas.js";

const created = {
  id: "b12e033e-bda7-4b83-a211-e721c661f30e",
  kind: "liveness",
  status: "notStarted",
  authToken: "token-abc",
  authTokenExpiresAt: "2026-01-01T00:10:00.000Z",
  createdAt: "2026-01-01T00:00:00.000Z",
};

describe("encodeSessionCreated", () => {
  it.each([
    ["a liveness session", created],
    ["a verify session with a subject", { ...created, kind: "livenessWithVerify", subject: "user-42" }],
    ["an id in upper case", { ...created, id: created.id.toUpperCase() }],
    ["keys the schema does not declare, in another order", { extra: "dropped", ...Object.fromEntries(Object.entries(created).reverse()), authTokenHash: "x" }],
  ])("when the body is %s, then the bytes are the schema's own encoding", (_label, value) => {
    expect(encodeSessionCreated(value)).toBe(JSON.stringify(sessionCreatedSchema.encode(value as never)));
  });

  it.each([
    ["an id that is not a GUID", { ...created, id: "not-a-guid" }],
    ["an unknown kind", { ...created, kind: "other" }],
    ["an unknown status", { ...created, status: "NotStarted" }],
    ["a missing authToken", { ...created, authToken: undefined }],
    ["a numeric subject", { ...created, subject: 42 }],
  ])("when the body has %s, then it is left to the schema, which refuses it too", (_label, value) => {
    expect(encodeSessionCreated(value)).toBeUndefined();
    expect(sessionCreatedSchema.safeEncode(value as never).success).toBe(false);
  });
});
