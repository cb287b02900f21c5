/**
 * fast-check arbitraries for hostile JSON create bodies: built as text (never through JSON.stringify of the whole
 * thing), so `__proto__` keys, duplicate keys, 20 000-deep nesting and invalid UTF-8 reach the server as generated.
 */
import fc from "fast-check";
import { makeNotAnImage, makeTestJpeg, makeTestPng, makeTooSmallImage, makeUndecodableJpeg } from "../helpers/emulator-images.js";
import { hostileString, hostileText } from "./hostile-text-arbitraries.js";

/** JSON text to splice in verbatim. */
export class RawJson {
  constructor(readonly text: string) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Object text from ordered entries, so duplicate and `__proto__` keys survive. */
export function objectText(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
}

const deepNesting: fc.Arbitrary<RawJson> = fc
  .record({ depth: fc.integer({ min: 50, max: 20_000 }), kind: fc.constantFrom("array", "object", "mixed") })
  .map(({ depth, kind }) => {
    if (kind === "array") return new RawJson("[".repeat(depth) + "]".repeat(depth));
    if (kind === "object") return new RawJson('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
    return new RawJson('[{"a":'.repeat(depth) + "null" + "}]".repeat(depth));
  });

const pollutingObject: fc.Arbitrary<RawJson> = fc.constantFrom(
  new RawJson('{"__proto__":{"isAdmin":true}}'),
  new RawJson('{"constructor":{"prototype":{"isAdmin":true}}}'),
  new RawJson('{"__proto__":null}'),
  new RawJson('{"\\u005f_proto__":{"polluted":1}}'),
  new RawJson('{"prototype":{"x":1},"toString":"boom","valueOf":7,"hasOwnProperty":false}'),
);

/** Any JSON value, of any type, including odd numbers, polluting objects and very deep nesting. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 59, 86_401, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324, "", " ") },
  { weight: 1, arbitrary: fc.constantFrom(new RawJson("1e400"), new RawJson("-1e400"), new RawJson("1E+2"), new RawJson("0.0000001"), new RawJson("123456789012345678901234567890")) },
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileText, { maxLength: 4 }) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: pollutingObject },
);

export const createFields = [
  "kind",
  "livenessOperationMode",
  "deviceCorrelationId",
  "authTokenTtlSeconds",
  "enableSessionImage",
  "subject",
  "verifyConfidenceThreshold",
  "verifyImage",
] as const;
export type CreateField = (typeof createFields)[number];

export const testJpeg = makeTestJpeg({ minBytes: 2048 });
export const testPng = makeTestPng("hostile");

/** Values the API accepts for each field (in JSON). */
const validJsonValue: Record<CreateField, fc.Arbitrary<unknown>> = {
  kind: fc.constantFrom("liveness", "livenessWithVerify"),
  livenessOperationMode: fc.constantFrom("Passive", "PassiveActive"),
  deviceCorrelationId: fc.string({ unit: "grapheme", minLength: 1, maxLength: 64 }).filter((s) => s.length <= 64),
  authTokenTtlSeconds: fc.integer({ min: 60, max: 86_400 }),
  enableSessionImage: fc.boolean(),
  subject: fc.string({ unit: "grapheme", minLength: 1, maxLength: 128 }).filter((s) => s.length <= 128),
  verifyConfidenceThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
  verifyImage: fc.constantFrom(testJpeg.toString("base64"), testPng.toString("base64")),
};

/** Values that are close to valid, which is where validators slip. */
const nearMissJsonValue: Record<CreateField, fc.Arbitrary<unknown>> = {
  kind: fc.constantFrom("Liveness", "liveness ", "livenessWithVerify\u0000", "LIVENESS", "livenesswithverify", "identify", "liveness\u200b", ""),
  livenessOperationMode: fc.constantFrom("passive", "Active", "PassiveActive ", "", "Passive\u0000"),
  deviceCorrelationId: fc.constantFrom("", "d".repeat(65), "😀".repeat(33), "\ud800".repeat(65)),
  authTokenTtlSeconds: fc.constantFrom(59, 86_401, 60.5, "600", -600, 0, 1e21, new RawJson("600.0"), new RawJson("6e2")),
  enableSessionImage: fc.constantFrom("true", "false", 0, 1, "yes", null),
  subject: fc.constantFrom("", "s".repeat(129), "😀".repeat(65)),
  verifyConfidenceThreshold: fc.constantFrom(-0.0001, 1.0001, "0.5", -1, 2, null),
  verifyImage: fc.constantFrom(
    `data:image/jpeg;base64,${testJpeg.toString("base64")}`,
    testJpeg.toString("base64url"),
    testJpeg.toString("base64").slice(0, -3),
    ` ${testJpeg.toString("base64")}`,
    testJpeg.toString("base64").replace(/(.{76})/g, "$1\n"),
    "",
    "====",
    makeNotAnImage().toString("base64"),
    makeTooSmallImage().toString("base64"),
    makeUndecodableJpeg().toString("base64"),
  ),
};

const fieldValue = (field: CreateField) =>
  fc.oneof(
    { weight: 4, arbitrary: validJsonValue[field] },
    { weight: 2, arbitrary: nearMissJsonValue[field] },
    { weight: 3, arbitrary: hostileJsonValue },
  );

/** Key names that are not fields: pollution keys, near-miss spellings, junk. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "kind ", "Kind", "KIND", "kind\u0000", "ki\u200bnd", "", " ", "$where", "$gt", "authToken", "id", "clientId"),
  hostileText,
);

/** The entries of a create body: each field omitted, valid, nearly valid or hostile; sometimes extra or repeated keys. */
export const createEntries: fc.Arbitrary<[string, unknown][]> = fc
  .record({
    fields: fc.tuple(...createFields.map((field) => fc.option(fieldValue(field), { nil: undefined, freq: 2 }))),
    extra: fc.oneof({ weight: 4, arbitrary: fc.constant([] as [string, unknown][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(hostileKey, hostileJsonValue), { minLength: 1, maxLength: 3 }) }),
    repeatKind: fc.option(fc.oneof(validJsonValue.kind, hostileJsonValue), { nil: undefined, freq: 6 }),
    reverse: fc.boolean(),
  })
  .map(({ fields, extra, repeatKind, reverse }) => {
    const entries: [string, unknown][] = [];
    createFields.forEach((field, i) => {
      if (fields[i] !== undefined) entries.push([field, fields[i]]);
    });
    entries.push(...extra);
    if (repeatKind !== undefined) entries.push(["kind", repeatKind]);
    return reverse ? entries.reverse() : entries;
  });

/** Ways of breaking JSON text that was otherwise fine. */
const jsonTextMutation: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.constant((t: string) => t),
  fc.nat().map((n) => (t: string) => t.slice(0, n % (t.length + 1))),
  fc.tuple(fc.nat(), fc.constantFrom("'", ",", "}", "]", "\u0000", "\\", '"', "/*x*/", "NaN", "\n", "\u2028", "\ufeff")).map(([n, junk]) => (t: string) => {
    const at = n % (t.length + 1);
    return t.slice(0, at) + junk + t.slice(at);
  }),
  fc.constantFrom(
    (t: string) => `\ufeff${t}`,
    (t: string) => `${t}${t}`,
    (t: string) => `${t} trailing`,
    (t: string) => t.replace(/"/g, "'"),
    (t: string) => t.replace(/}$/, ",}"),
    (t: string) => `// comment\n${t}`,
    (t: string) => `   \n\t${t}\n  `,
  ),
);

/** Bytes that are not UTF-8, or are UTF-8 that decoders argue about. */
const badUtf8: fc.Arbitrary<Buffer> = fc.constantFrom(
  Buffer.from([0xc0, 0xaf]), // overlong "/"
  Buffer.from([0xe0, 0x80, 0xaf]), // overlong "/"
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate, encoded
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xe2, 0x82]), // truncated sequence
  Buffer.from([0x80]),
);

/** A valid create body, or one with exactly one field made nearly valid or hostile: where validators slip. */
export const nearlyValidEntries: fc.Arbitrary<[string, unknown][]> = fc
  .record({
    kind: fc.constantFrom("liveness", "livenessWithVerify"),
    optional: fc.tuple(...createFields.slice(1).map((field) => fc.option(validJsonValue[field], { nil: undefined }))),
    broken: fc.option(fc.constantFrom(...createFields).chain((field) => fc.tuple(fc.constant(field), fc.oneof(nearMissJsonValue[field], hostileJsonValue))), { nil: undefined, freq: 3 }),
  })
  .map(({ kind, optional, broken }) => {
    const body = new Map<string, unknown>([["kind", kind]]);
    createFields.slice(1).forEach((field, i) => {
      if (optional[i] !== undefined) body.set(field, optional[i]);
    });
    // Keep the body valid for its kind unless a field is broken on purpose.
    if (kind === "liveness") {
      body.delete("verifyImage");
      body.delete("verifyConfidenceThreshold");
    } else if (!body.has("verifyImage")) {
      body.set("verifyImage", testJpeg.toString("base64"));
    }
    if (broken) body.set(broken[0], broken[1]);
    return [...body.entries()];
  });

/** Past the 9 MiB create limit; built once, it is sent rarely. */
let oversized: Buffer | undefined;
const oversizedBody = fc.constant(null).map(() => (oversized ??= Buffer.from(objectText([["kind", "liveness"], ["subject", "x".repeat(9.5 * 1024 * 1024)]]))));

/** A create request body as bytes: mostly JSON objects, sometimes other JSON, broken JSON, bad UTF-8 or no JSON at all. */
export const createJsonBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 12, arbitrary: nearlyValidEntries.map((entries) => Buffer.from(objectText(entries))) },
  { weight: 12, arbitrary: fc.tuple(createEntries, jsonTextMutation).map(([entries, mutate]) => Buffer.from(mutate(objectText(entries)))) },
  { weight: 4, arbitrary: fc.tuple(nearlyValidEntries, jsonTextMutation).map(([entries, mutate]) => Buffer.from(mutate(objectText(entries)))) },
  { weight: 3, arbitrary: hostileJsonValue.map((value) => Buffer.from(toJsonText(value))) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.oneof(nearlyValidEntries, createEntries), badUtf8, fc.nat()).map(([entries, bytes, n]) => {
      const text = Buffer.from(objectText(entries));
      const at = n % (text.length + 1);
      return Buffer.concat([text.subarray(0, at), bytes, text.subarray(at)]);
    }),
  },
  { weight: 2, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from(" "), Buffer.from("null"), Buffer.from('"liveness"'), Buffer.from("kind=liveness"), Buffer.alloc(64 * 1024, "{")) },
  { weight: 1, arbitrary: oversizedBody },
);
