/**
 * The JSON create body: the common liveness create is checked by hand, and must answer exactly what the schema's
 * parse answers (values, defaults, key order); every other body must get the schema's own answer and errors.
 */
import { describe, expect, it } from "vitest";
import { isAppError } from "../../src/errors.js";
import { readJsonInput } from "../../src/sessions/session-input.js";
import { createSessionJsonSchema } from "../../src/sessions/session-schemas.js";

/** What the schema alone makes of a body: the parsed input as JSON text (key order included), or the issues. */
function schemaAnswer(body: unknown): { input: string } | { fields: Array<{ path: string; message: string }> } {
  const parsed = createSessionJsonSchema.safeParse(body ?? {});
  if (!parsed.success) return { fields: parsed.error.issues.map((i) => ({ path: ["body", ...i.path.map(String)].join("."), message: i.message })) };
  const { verifyImage, ...rest } = parsed.data as typeof parsed.data & { verifyImage?: string };
  return { input: JSON.stringify(verifyImage === undefined ? rest : { ...rest, verifyImage: Buffer.from(verifyImage, "base64") }) };
}

function readAnswer(body: unknown): { input: string } | { fields: unknown } {
  try {
    return { input: JSON.stringify(readJsonInput(body)) };
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { fields: error.fields };
  }
}

const long = (n: number) => "a".repeat(n);
const emoji = "\u{1F600}";

/** Bodies as a caller could send them (through JSON), the hand-checked shape's edges and what must fall through. */
const bodies: Array<[string, unknown]> = [
  ["kind only", { kind: "liveness" }],
  ["every simple field", { kind: "liveness", livenessOperationMode: "Passive", deviceCorrelationId: "dev-1", authTokenTtlSeconds: 60, enableSessionImage: true, subject: "user-7" }],
  ["fields before kind", { subject: "s", authTokenTtlSeconds: 86400, kind: "liveness", enableSessionImage: false }],
  ["longest device id and subject", { kind: "liveness", deviceCorrelationId: long(64), subject: long(128) }],
  ["device id of 32 emoji", { kind: "liveness", deviceCorrelationId: emoji.repeat(32) }],
  ["device id of 33 emoji", { kind: "liveness", deviceCorrelationId: emoji.repeat(33) }],
  ["device id too long", { kind: "liveness", deviceCorrelationId: long(65) }],
  ["empty device id", { kind: "liveness", deviceCorrelationId: "" }],
  ["subject too long", { kind: "liveness", subject: long(129) }],
  ["subject with a control character", { kind: "liveness", subject: "a\u0007b" }],
  ["device id with a bidi control", { kind: "liveness", deviceCorrelationId: "a\u202eb" }],
  ["TTL too short", { kind: "liveness", authTokenTtlSeconds: 59 }],
  ["TTL too long", { kind: "liveness", authTokenTtlSeconds: 86401 }],
  ["TTL not whole", { kind: "liveness", authTokenTtlSeconds: 600.5 }],
  ["TTL as text", { kind: "liveness", authTokenTtlSeconds: "600" }],
  ["session image as text", { kind: "liveness", enableSessionImage: "true" }],
  ["unknown mode", { kind: "liveness", livenessOperationMode: "Active" }],
  ["null subject", { kind: "liveness", subject: null }],
  ["an unknown key", { kind: "liveness", extra: 1 }],
  ["a __proto__ key", JSON.parse('{"kind":"liveness","__proto__":{"subject":"x"}}')],
  ["no kind", { subject: "s" }],
  ["unknown kind", { kind: "other" }],
  ["verify kind without an image", { kind: "livenessWithVerify" }],
  ["verify threshold on liveness", { kind: "liveness", verifyConfidenceThreshold: 0.5 }],
  ["a callback URL", { kind: "liveness", callbackUrl: "https://example.com/hook" }],
  ["consent", { kind: "liveness", consent: { noticeVersion: "v4", consentedAt: "2026-01-01T00:00:00Z", method: "checkbox" } }],
  ["an array", [{ kind: "liveness" }]],
  ["null", null],
  ["a string", "liveness"],
];

describe("readJsonInput", () => {
  it.each(bodies)("when the body is %s, then it answers what the schema answers", (_name, body) => {
    expect(readAnswer(body)).toEqual(schemaAnswer(body));
  });
});
