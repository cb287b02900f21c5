/**
 * fast-check arbitraries for hostile input: odd strings, JSON that is wrong in every way a client can get it wrong,
 * header sets, multipart bodies, session ids and paths, and raw HTTP/1.1 requests. Bodies are built as text or bytes
 * (never through JSON.stringify of the whole thing), so `__proto__` keys, duplicate keys, 10 000-deep nesting and
 * invalid UTF-8 reach the server exactly as generated.
 */
import fc from "fast-check";
import { makeNotAnImage, makeTestJpeg, makeTestPng, makeTooBigImage, makeTooSmallImage, makeUndecodableJpeg } from "../helpers/emulator-images.js";

// ---------------------------------------------------------------------------------------------------------------
// Strings

/** What fuzzers and attackers reach for first: control characters, bidi marks, lone surrogates, injection probes. */
export const nastyFragments: readonly string[] = [
  "\u0000", "\u0001", "\u0008", "\u001b[31m", "\u007f", "\u0085", "\u00a0", "\u00ad", "\u200b", "\u200d", "\u200e", "\u200f",
  "\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uffff", "\ufffe",
  "\ud800", "\udfff", "\udbff\udfff", "\udc00\ud800", "😀", "👩‍👩‍👧‍👦", "🏳️‍🌈", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "ß", "İ", "ﬀ", "Ａ", "𝕏", "عربى", "עברית", "日本語",
  "\r\n", "\n", "\r", "\t", "\\", '"', "'", "`", "${7*7}", "{{7*7}}", "<script>alert(1)</script>", "javascript:",
  "%00", "%0d%0a", "%2e%2e%2f", "%252e%252e%252f", "%c0%af", "%e0%80%af", "%ef%bc%8f", "%ZZ", "%", "..", "../", "..\\", "/", "//",
  // Overlong-looking UTF-8 spelled as Latin-1 characters: harmless as text, but they look like C0 AF to a byte scanner.
  "\u00c0\u00af", "\u00e0\u0080\u00af", "\u00f0\u0080\u0080\u00af",
  "' OR '1'='1", "'; DROP TABLE sessions; --", '" OR 1=1 --', "1; SELECT pg_sleep(5)", "UNION SELECT NULL--",
  '{"$gt":""}', "$where", "$ne", "[$regex]", "this.constructor.constructor('return process')()",
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf",
  "NaN", "Infinity", "-0", "1e309", "0x10", "null", "undefined", "true", "[]", "{}",
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** A short string of mixed hostile pieces. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom(...nastyFragments), fc.string({ unit: "grapheme", maxLength: 6 }), loneSurrogate), { maxLength: 8 }).map((parts) => parts.join("")) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** 1 000 to 100 000 repetitions of one unit: huge for a field, still far below the create body limit. */
export const hugeText: fc.Arbitrary<string> = fc
  .record({ unit: fc.constantFrom("x", "😀", "\u0000", "\ud800", "%", "\u202e", "é"), count: fc.integer({ min: 1_000, max: 100_000 }) })
  .map(({ unit, count }) => unit.repeat(count));

export const hostileString: fc.Arbitrary<string> = fc.oneof({ weight: 8, arbitrary: hostileText }, { weight: 1, arbitrary: hugeText });

/** encodeURIComponent that never throws: a lone surrogate becomes its (invalid) 3-byte UTF-8 spelling. */
export function percentEncode(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${(0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

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
const testPng = makeTestPng("hostile");

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

// ---------------------------------------------------------------------------------------------------------------
// Headers

/** x-api-key values: missing, empty, valid, another client's, near misses, repeated, huge, odd. */
export function apiKeyHeader(validKeys: readonly string[], faceKey: string): fc.Arbitrary<string | string[] | undefined> {
  const valid = fc.constantFrom(...validKeys);
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "undefined", faceKey, `Bearer ${validKeys[0]}`, "k".repeat(100_000)) },
    { weight: 2, arbitrary: valid.chain((key) => fc.constantFrom(` ${key}`, `${key} `, key.toUpperCase(), key.slice(0, -1), `${key}x`, `${key}\u0000`, `${key}\r\n`, `${key},${key}`)) },
    { weight: 2, arbitrary: fc.tuple(valid, fc.oneof(valid, hostileText)).map(([a, b]) => [a, b]) },
    { weight: 2, arbitrary: hostileString },
  );
}

const charsets = ["utf-8", "UTF-8", '"utf-8"', "utf8", "utf-16", "utf-16le", "latin1", "iso-8859-1", "ascii", "ebcdic", "", "\u0000", "x".repeat(500)];

/** content-type values around application/json and multipart/form-data. */
export const contentTypeHeader: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("application/json") },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom(...charsets).map((c) => `application/json; charset=${c}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "", " ", "APPLICATION/JSON", " application/json ", "application/json;", "application/json;;;=;", "application/json; charset", "application/json; boundary=x",
      "application/jsonx", "application/json+x", "application/problem+json", "application/*", "*/*", "json", "text/json", "text/plain", "text/html",
      "application/xml", "application/x-www-form-urlencoded", "application/octet-stream", "multipart/form-data", "multipart/form-data; boundary=",
      "multipart/form-data; boundary=x", 'multipart/form-data; boundary="a b"', "multipart/mixed; boundary=x", "multipart/form-data; boundary=x; boundary=y",
      "application/json, text/plain", "application/json\u0000", "application/json\r\nx-injected: 1", "\ufeffapplication/json",
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["application/json", "application/json"], ["application/json", "text/plain"], ["text/plain", "application/json"]) },
  { weight: 1, arbitrary: hostileText },
);

/** content-length values; `match` stands for the real length. */
export const contentLengthHeader: fc.Arbitrary<"match" | "plusOne" | "minusOne" | string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("match") },
  { weight: 2, arbitrary: fc.constantFrom("plusOne", "minusOne") },
  { weight: 2, arbitrary: fc.constantFrom("0", "-1", "abc", "1e3", " 5 ", "+5", "0x10", "99999999999999999999", "NaN", "", "5, 5", "9437185") },
);

const safeRequestId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);

/** x-request-id values: safe ones (reused), and junk that must never be echoed. */
export const requestIdHeader: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: safeRequestId },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom("", "a".repeat(129), 'evil"\n{"level":60}', "id\r\nset-cookie: x=1", "<script>", "../../etc/passwd") },
  { weight: 1, arbitrary: fc.tuple(safeRequestId, safeRequestId).map(([a, b]) => [a, b]) },
);

/** Headers the API does not use, with junk names and values. */
export const junkHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(
    fc.constantFrom("accept", "accept-encoding", "content-encoding", "transfer-encoding", "expect", "x-forwarded-for", "x-forwarded-host", "forwarded", "authorization", "cookie", "origin", "range", "if-none-match", "x-http-method-override", "connection", "upgrade", "te", "trailer"),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
  ),
  fc.oneof(fc.constantFrom("gzip", "br", "chunked", "100-continue", "teapot", "127.0.0.1", "DELETE", "bytes=0-1", "*", "close", "websocket"), hostileText),
  { maxKeys: 3 },
);

// ---------------------------------------------------------------------------------------------------------------
// Session ids and paths

/** Path segments where a session id belongs: real ids, GUIDs, near misses, traversal, injection, long and unicode. */
export function idSegment(realIds: readonly string[]): fc.Arbitrary<string> {
  const real = fc.constantFrom(...realIds);
  return fc.oneof(
    { weight: 2, arbitrary: real },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: real.chain((id) => fc.constantFrom(id.toUpperCase(), `${id}x`, id.slice(1), `{${id}}`, `urn:uuid:${id}`, `${id}%00`, `${id}%0d%0a`, `${id}/`, id.replace(/-/g, "%2D"), id.replace(/-/g, ""), `${id}%20`, `%20${id}`, ` ${id}`, `${id};x=1`, `${id}.json`)) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "..", ".", "...", "../", "..%2F", "..%2f..%2fhealthz", "%2e%2e", "%2e%2e%2f", "%252e%252e%252f", "%252F", "..%252F..%252Fetc%252Fpasswd", "..;", "..%5c", "%5c..%5c",
        "%c0%ae%c0%ae%c0%af", "%e0%80%ae", "%c0%af", "....//", "%2F", "%2f%2f", "%00", "%0d%0a", "%0a", "%0dX-Injected:%201", "%",
        "%ZZ", "%E0%A4%A", "%ed%a0%80", "%ff", "'%20OR%201=1%20--", "%27%3B%20DROP%20TABLE%20sessions%3B--", "%7B%22%24gt%22%3A%22%22%7D", "%24where",
        "__proto__", "constructor", "prototype", "null", "undefined", "0", "-1", "*", "%2A", "~", "image",
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 4_000 }).chain((n) => fc.constantFrom("a".repeat(n), "%41".repeat(n), "%F0%9F%98%80".repeat(Math.ceil(n / 12)))) },
    { weight: 3, arbitrary: hostileText.map(percentEncode) },
    { weight: 1, arbitrary: hostileText.map((t) => percentEncode(percentEncode(t))) },
    // Raw (unencoded) text: inject passes it through; the router has to cope.
    { weight: 1, arbitrary: hostileText.filter((t) => t.length > 0 && !/[?#]/.test(t)) },
  );
}

export const routePrefix: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("/v1/sessions/") },
  { weight: 1, arbitrary: fc.constantFrom("/v1/sessions//", "/V1/sessions/", "/v1/Sessions/", "/v1/sessions/%2F", "/v2/sessions/", "/v1/./sessions/", "/v1/sessions/../sessions/", "//v1/sessions/", "/v1%2Fsessions/", "/v1/sessions/x/") },
);

export const routeSuffix: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("", "/image") },
  { weight: 1, arbitrary: fc.constantFrom("/", "/image/", "//image", "/IMAGE", "/image/../", "%2Fimage", ";x", "/image;x", "/../image", "/image%00", "/image.png", "/attempts") },
);

export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "?", "?a", "?a=1&a=2", "?__proto__[polluted]=1", "?constructor[prototype][polluted]=1", "?__proto__.polluted=1", "?a[b][c][d][e][f]=1",
      "?%", "?%%", "?a=%ZZ", "?id=../..", "?id=%00", "?x=%0d%0aSet-Cookie:%20a", "?kind=liveness", "?q=' OR 1=1 --", "?$where=1", "?a[]=1&a[][b]=2", "?&&&=&=",
    ),
  },
  { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `?${q}`) },
  { weight: 1, arbitrary: hostileText.map((t) => `?q=${percentEncode(t)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => `?q=${"x".repeat(n)}`) },
);

export const injectMethods = ["GET", "DELETE", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "TRACE", "SEARCH", "PROPFIND", "LOCK", "MKCOL", "COPY", "MOVE", "REPORT", "QUERY"] as const;
export type InjectMethod = (typeof injectMethods)[number];

export const hostileMethod: fc.Arbitrary<InjectMethod> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<InjectMethod>("GET", "DELETE", "HEAD") },
  { weight: 2, arbitrary: fc.constantFrom<InjectMethod>(...injectMethods) },
);

// ---------------------------------------------------------------------------------------------------------------
// Multipart

export interface MultipartPartSpec {
  headerLines: string[];
  body: Buffer;
}

const multipartFieldNames = ["kind", "livenessOperationMode", "deviceCorrelationId", "authTokenTtlSeconds", "enableSessionImage", "subject", "verifyConfidenceThreshold"] as const;

const validMultipartText: Record<(typeof multipartFieldNames)[number], fc.Arbitrary<string>> = {
  kind: fc.constantFrom("liveness", "livenessWithVerify"),
  livenessOperationMode: fc.constantFrom("Passive", "PassiveActive"),
  deviceCorrelationId: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 64 }),
  authTokenTtlSeconds: fc.integer({ min: 60, max: 86_400 }).map(String),
  enableSessionImage: fc.constantFrom("true", "false"),
  subject: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 128 }),
  verifyConfidenceThreshold: fc.double({ min: 0, max: 1, noNaN: true }).map((n) => n.toFixed(3)),
};

const nearMissMultipartText = fc.constantFrom("", " ", "Liveness", "true ", "TRUE", "1", "60.0", "1e3", "-0", "0x3c", "600\u0000", "NaN", "Infinity", "1.", ".5", "--", "x".repeat(1025));

const tooBigImage = makeTooBigImage();

const fileBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(testJpeg, testPng) },
  { weight: 4, arbitrary: fc.constantFrom(Buffer.alloc(0), makeTooSmallImage(), makeNotAnImage(), makeUndecodableJpeg(), Buffer.from("--not-a-boundary--\r\n")) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 4_096 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(tooBigImage) },
);

const partName: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...multipartFieldNames, "verifyImage") },
  { weight: 3, arbitrary: hostileKey },
  { weight: 1, arbitrary: fc.integer({ min: 101, max: 5_000 }).map((n) => "n".repeat(n)) },
);

const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/[\r\n]/g, " ")}"`;

/** Content-Disposition (and friends) for one part: the normal spelling, and the odd ones parsers disagree on. */
const dispositionLines = (name: string, filename: string | undefined): fc.Arbitrary<string[]> => {
  const file = filename === undefined ? "" : `; filename=${quote(filename)}`;
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant<string[]>([`Content-Disposition: form-data; name=${quote(name)}${file}`]) },
    {
      weight: 4,
      arbitrary: fc.constantFrom<string[]>(
        [`content-disposition: form-data; name=${name.replace(/[\s;"]/g, "")}${file}`],
        [`Content-Disposition: form-data; name*=UTF-8''${percentEncode(name)}${file}`],
        [`Content-Disposition: attachment; name=${quote(name)}${file}`],
        [`Content-Disposition: form-data${file}`],
        [`Content-Disposition: form-data; name=${quote(name)}; name="other"${file}`],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, `Content-Disposition: form-data; name="kind"`],
        [`Content-Disposition: form-data; name=${quote(name)}; filename*=UTF-8''%E2%80%AE.jpg`],
        [`Content-Disposition: form-data; name=${quote(name)}; filename=""`],
        [`Content-Disposition form-data name=${quote(name)}`],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, `X-Junk: ${"j".repeat(2_000)}`],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, "Content-Transfer-Encoding: base64"],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, "no-colon-header-line"],
        [],
        ["Content-Type: text/plain"],
      ),
    },
  );
};

const partContentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom("image/jpeg", "image/png", "text/plain; charset=UTF-8", "application/octet-stream") },
  { weight: 1, arbitrary: fc.constantFrom("text/plain; charset=utf-16", "image/svg+xml", "application/x-msdownload", "", "multipart/mixed; boundary=inner", "\u0000") },
  { weight: 1, arbitrary: hostileText },
);

/** One part: a text field or a file, with its header lines. */
export const multipartPart: fc.Arbitrary<MultipartPartSpec> = partName.chain((name) => {
  const isKnownField = (multipartFieldNames as readonly string[]).includes(name);
  const asFile = fc.oneof({ weight: name === "verifyImage" ? 6 : 1, arbitrary: fc.constant(true) }, { weight: name === "verifyImage" ? 1 : 6, arbitrary: fc.constant(false) });
  return asFile.chain((file) => {
    const filename = file ? fc.oneof(fc.constantFrom("a.jpg", "../../etc/passwd", "..\\..\\boot.ini", "a\u0000.jpg", "\u202egpj.exe", "", "a".repeat(1_000)), hostileText).map((f): string | undefined => f) : fc.constant<string | undefined>(undefined);
    const body: fc.Arbitrary<Buffer> = file
      ? fileBytes
      : fc
          .oneof(
            { weight: isKnownField ? 6 : 1, arbitrary: isKnownField ? validMultipartText[name as keyof typeof validMultipartText] : fc.constant("x") },
            { weight: 2, arbitrary: nearMissMultipartText },
            { weight: 2, arbitrary: hostileString },
            // Past a stream's high-water mark (16 KiB): where a part-skipping parser stalled once.
            { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 120_000 }).map((n) => "v".repeat(n)) },
          )
          .map((text) => Buffer.from(text));
    return fc.record({ filename, body, contentType: partContentType }).chain(({ filename: f, body: b, contentType }) =>
      dispositionLines(name, f).map((lines) => ({ headerLines: contentType === undefined ? lines : [...lines, `Content-Type: ${contentType}`], body: b })),
    );
  });
});

const textPart = (name: string, value: string): MultipartPartSpec => ({ headerLines: [`Content-Disposition: form-data; name=${quote(name)}`], body: Buffer.from(value) });

/** A valid verify form (optional fields valid, one verifyImage file of any bytes), plus at most one hostile part. */
const nearlyValidParts: fc.Arbitrary<MultipartPartSpec[]> = fc
  .record({
    optional: fc.tuple(...multipartFieldNames.slice(1).map((name) => fc.option(validMultipartText[name].map((value) => textPart(name, value)), { nil: undefined }))),
    image: fileBytes,
    filename: fc.constantFrom("me.jpg", "me.png", "x", "../me.jpg"),
    extra: fc.option(multipartPart, { nil: undefined, freq: 3 }),
  })
  .map(({ optional, image, filename, extra }) => {
    const parts = optional.filter((part): part is MultipartPartSpec => part !== undefined);
    parts.push({ headerLines: [`Content-Disposition: form-data; name="verifyImage"; filename=${quote(filename)}`, "Content-Type: image/jpeg"], body: image });
    if (extra) parts.push(extra);
    return parts;
  });

export interface MultipartBodySpec {
  contentType: string | undefined;
  body: Buffer;
}

const boundaryToken = fc.stringMatching(/^[A-Za-z0-9'()+_,.:=?-]{1,69}[A-Za-z0-9]$/);

/** A whole multipart body and its content-type: usually well framed, sometimes broken on purpose. */
export const multipartBody: fc.Arbitrary<MultipartBodySpec> = fc
  .record({
    boundary: fc.oneof({ weight: 8, arbitrary: boundaryToken }, { weight: 1, arbitrary: fc.constantFrom("a b", "x".repeat(200), "--", "é", "\u0000", '"') }),
    leadingKind: fc.option(validMultipartText.kind, { nil: undefined, freq: 4 }),
    parts: fc.oneof(
      { weight: 6, arbitrary: fc.array(multipartPart, { maxLength: 6 }) },
      { weight: 4, arbitrary: nearlyValidParts },
      { weight: 1, arbitrary: fc.array(multipartPart, { minLength: 25, maxLength: 45 }) },
    ),
    header: fc.constantFrom("normal", "normal", "normal", "normal", "quoted", "missing", "empty", "other", "charset", "duplicate", "mixed", "noEquals", "case"),
    framing: fc.constantFrom("normal", "normal", "normal", "normal", "normal", "noClose", "lfOnly", "preamble", "epilogue", "noFinalCrlf", "truncate", "noLeadingDashes"),
    cut: fc.nat(),
  })
  .map(({ boundary, leadingKind, parts, header, framing, cut }) => {
    const eol = framing === "lfOnly" ? "\n" : "\r\n";
    const dashes = framing === "noLeadingDashes" ? "" : "--";
    const all = leadingKind === undefined ? parts : [{ headerLines: ['Content-Disposition: form-data; name="kind"'], body: Buffer.from(leadingKind) }, ...parts];
    const chunks: Buffer[] = [];
    if (framing === "preamble") chunks.push(Buffer.from(`this is a preamble${eol}`));
    for (const part of all) {
      chunks.push(Buffer.from(`${dashes}${boundary}${eol}${part.headerLines.map((line) => `${line}${eol}`).join("")}${eol}`), part.body, Buffer.from(eol));
    }
    if (framing !== "noClose") chunks.push(Buffer.from(`${dashes}${boundary}--${framing === "noFinalCrlf" ? "" : eol}`));
    if (framing === "epilogue") chunks.push(Buffer.from(`epilogue junk${eol}--${boundary}--${eol}`));
    let body = Buffer.concat(chunks);
    if (framing === "truncate") body = body.subarray(0, cut % (body.length + 1));
    const contentType = {
      normal: `multipart/form-data; boundary=${boundary}`,
      quoted: `multipart/form-data; boundary="${boundary}"`,
      missing: "multipart/form-data",
      empty: "multipart/form-data; boundary=",
      other: "multipart/form-data; boundary=not-the-boundary",
      charset: `multipart/form-data; charset=utf-16; boundary=${boundary}`,
      duplicate: `multipart/form-data; boundary=${boundary}; boundary=other`,
      mixed: `multipart/mixed; boundary=${boundary}`,
      noEquals: `multipart/form-data; boundary`,
      case: `MULTIPART/FORM-DATA; BOUNDARY=${boundary}`,
    }[header];
    return { contentType, body };
  });

// ---------------------------------------------------------------------------------------------------------------
// Raw HTTP/1.1, for what inject cannot express

export interface RawRequestSpec {
  /** The bytes to send, in the pieces they are sent in. */
  pieces: Buffer[];
  /** Pause between pieces: a slow client. */
  pauseMs: number;
  /**
   * Half-close after the last piece: only for a request that is incomplete on purpose (the server answers the FIN).
   * A complete request must not be half-closed: Node aborts a request whose client has ended, answered or not.
   */
  halfClose: boolean;
  /** The first request's method, to know whether its answer has a body. */
  method: string;
}

const rawMethod = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom("GET", "POST", "DELETE", "HEAD") },
  { weight: 3, arbitrary: fc.constantFrom("PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT", "SEARCH", "PROPFIND", "M-SEARCH", "QUERY") },
  { weight: 2, arbitrary: fc.constantFrom("FOO", "get", "Get", "G\u0000ET", "", "PRI", "GET GET", "POST\t", "ÄÖÜ", "X".repeat(100)) },
);

const rawTarget = (realIds: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("/v1/sessions", "/healthz", "/readyz", "/openapi.json", ...realIds.map((id) => `/v1/sessions/${id}`), ...realIds.map((id) => `/v1/sessions/${id}/image`)) },
    { weight: 2, arbitrary: idSegment(realIds).map((id) => `/v1/sessions/${id}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "*", "http://evil.example/healthz", "//healthz", "healthz", "", "/", "/%", "/v1/sessions/%00", "/v1/sessions/a b", "/v1/sessions/\u0000",
        "/v1/sessions/\r\nx-injected: 1", "/v1/sessions/ü", "/v1/sessions/\u00ff\u00fe", `/${"a".repeat(10_000)}`, "/healthz?%", "/healthz#frag", "/v1/sessions/..%2F..%2Fhealthz",
      ),
    },
  );

const rawVersion = fc.oneof(
  { weight: 12, arbitrary: fc.constant("HTTP/1.1") },
  { weight: 1, arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/9.9", "http/1.1", "HTTP/1.1 extra", "HTTP/1", "") },
);

type HeaderLine = string;

const rawBody: fc.Arbitrary<{ type: string; bytes: Buffer } | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ type: "application/json", bytes: Buffer.from('{"kind":"liveness","deviceCorrelationId":"raw-http"}') }) },
  { weight: 3, arbitrary: createJsonBody.filter((b) => b.length < 200_000).map((bytes) => ({ type: "application/json", bytes })) },
  { weight: 2, arbitrary: multipartBody.filter((m) => m.body.length < 200_000).map((m) => ({ type: m.contentType ?? "multipart/form-data", bytes: m.body })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => ({ type: "application/octet-stream", bytes: Buffer.from(bytes) })) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

const framing = fc.constantFrom(
  "length", "length", "length", "length", "length", "length", "length", "length", "chunked", "chunked", "chunked",
  "chunkedBroken", "chunkedUnterminated", "lengthShort", "lengthLong", "lengthDuplicateSame", "lengthDuplicateDifferent", "lengthInvalid",
  "lengthAndChunked", "transferEncodingOdd", "noLength", "pipelined",
);

const chunked = (bytes: Buffer, pieces: number): Buffer => {
  const out: Buffer[] = [];
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.subarray(at, at + size);
    out.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  out.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(out);
};

const rawDimensions = ["method", "target", "version", "host", "apiKey", "requestId", "junk", "lineEnd", "body", "framing"] as const;
type RawDimension = (typeof rawDimensions)[number];

/** A raw HTTP/1.1 exchange: request line, headers (repeated, missing, malformed), body and framing, sent slowly or not. */
export function rawRequest(validKeys: readonly string[], realIds: readonly string[]): fc.Arbitrary<RawRequestSpec> {
  const valid = fc.constantFrom(...validKeys);
  const headerSet = fc.record({
    host: fc.constantFrom<HeaderLine[]>(["host: 127.0.0.1"], ["host: 127.0.0.1"], ["host: 127.0.0.1"], [], ["host: a", "host: b"], ["host: "], ["host: evil.example:99999"]),
    apiKey: fc.oneof(
      { weight: 6, arbitrary: valid.map((k) => [`x-api-key: ${k}`]) },
      { weight: 1, arbitrary: fc.constant<HeaderLine[]>([]) },
      { weight: 1, arbitrary: fc.tuple(valid, valid).map(([a, b]) => [`x-api-key: ${a}`, `x-api-key: ${b}`]) },
      { weight: 1, arbitrary: valid.map((k) => [`x-api-key: ${k}`, "x-api-key: wrong"]) },
      { weight: 1, arbitrary: fc.constantFrom<HeaderLine[]>(["x-api-key:"], ["x-api-key: \u0000"], [`x-api-key: ${"k".repeat(20_000)}`], ["X-API-KEY : x"]) },
    ),
    requestId: fc.oneof(
      { weight: 3, arbitrary: fc.constant<HeaderLine[]>([]) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/).map((id) => [`x-request-id: ${id}`]) },
      { weight: 1, arbitrary: fc.constantFrom<HeaderLine[]>(["x-request-id: a", "x-request-id: b"], ['x-request-id: evil"{}'], ["x-request-id: ü"], [`x-request-id: ${"r".repeat(300)}`]) },
    ),
    junk: fc.oneof(
      { weight: 4, arbitrary: fc.constant<HeaderLine[]>([]) },
      {
        weight: 2,
        arbitrary: fc.constantFrom<HeaderLine[]>(
          ["bad header: x"], ["x-nul: a\u0000b"], ["x-folded: a", " continued"], ["no-colon-here"], [": empty-name"], [`x-long-name-${"n".repeat(5_000)}: v`],
          ["expect: teapot"], ["expect: 100-continue"], ["connection: upgrade", "upgrade: websocket"], ["content-encoding: gzip"], ["x-del: \u007f"], ["x-latin: \u00e9"],
          ["te: trailers"], ["trailer: x-a"], ["content-type: application/json", "content-type: text/plain"], [`x-many: ${"v".repeat(7_000)}`, `x-more: ${"v".repeat(7_000)}`],
        ),
      },
    ),
    keepAlive: fc.constantFrom(false, false, false, true),
    lineEnd: fc.constantFrom("\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\n"),
  });
  return fc
    .record({
      method: rawMethod,
      target: rawTarget(realIds),
      version: rawVersion,
      headers: headerSet,
      body: rawBody,
      framing,
      cut: fc.array(fc.nat(), { maxLength: 3 }),
      slow: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
      lengthJunk: fc.constantFrom("abc", "-1", "+5", "1e3", "0x10", "99999999999999999999", "5 5", "", "1.0"),
      transferEncoding: fc.constantFrom("chunked, identity", "identity", "gzip", "xchunked", "chunked\u0000", "CHUNKED", "gzip, chunked"),
      // Which parts of the request are hostile: often just one, so the others reach the application intact.
      faults: fc.oneof({ weight: 3, arbitrary: fc.subarray([...rawDimensions], { maxLength: 1 }) }, { weight: 2, arbitrary: fc.subarray([...rawDimensions]) }),
      cleanTarget: fc.constantFrom("/v1/sessions", "/healthz", ...realIds.map((id) => `/v1/sessions/${id}`)),
      cleanKey: valid,
    })
    .map((generated) => {
      const hostile = (dimension: RawDimension) => generated.faults.includes(dimension);
      const cleanTarget = generated.cleanTarget;
      const r = {
        ...generated,
        target: hostile("target") ? generated.target : cleanTarget,
        method: hostile("method") ? generated.method : cleanTarget === "/v1/sessions" ? "POST" : "GET",
        version: hostile("version") ? generated.version : "HTTP/1.1",
        body: hostile("body") ? generated.body : cleanTarget === "/v1/sessions" ? { type: "application/json", bytes: Buffer.from('{"kind":"liveness"}') } : undefined,
        framing: hostile("framing") ? generated.framing : generated.framing === "chunked" ? "chunked" : "length",
        headers: {
          ...generated.headers,
          host: hostile("host") ? generated.headers.host : ["host: 127.0.0.1"],
          apiKey: hostile("apiKey") ? generated.headers.apiKey : [`x-api-key: ${generated.cleanKey}`],
          requestId: hostile("requestId") ? generated.headers.requestId : [],
          junk: hostile("junk") ? generated.headers.junk : [],
          lineEnd: hostile("lineEnd") ? generated.headers.lineEnd : "\r\n",
        },
      };
      const eol = r.headers.lineEnd;
      const body = r.body?.bytes;
      // Deleting a fixture would only blunt the cases that follow.
      const method = r.method === "DELETE" && realIds.some((id) => r.target.includes(id)) ? "GET" : r.method;
      const lines: string[] = [`${method} ${r.target} ${r.version}`.trimEnd(), ...r.headers.host, ...r.headers.apiKey, ...r.headers.requestId, ...r.headers.junk];
      if (r.body) lines.push(`content-type: ${r.body.type}`);
      let payload: Buffer = Buffer.alloc(0);
      let halfClose = false;
      const length = body?.length ?? 0;
      switch (r.framing) {
        case "length":
        case "pipelined":
          if (body) lines.push(`content-length: ${length}`);
          payload = body ?? payload;
          break;
        case "chunked":
          lines.push("transfer-encoding: chunked");
          payload = chunked(body ?? Buffer.alloc(0), 1 + (r.cut.length % 3));
          break;
        case "chunkedBroken":
          lines.push("transfer-encoding: chunked");
          payload = Buffer.concat([Buffer.from("zz\r\n"), body ?? Buffer.from("x"), Buffer.from("\r\n0\r\n\r\n")]);
          break;
        case "chunkedUnterminated":
          lines.push("transfer-encoding: chunked");
          payload = chunked(body ?? Buffer.from("x"), 2).subarray(0, -5);
          halfClose = true;
          break;
        case "lengthShort":
          lines.push(`content-length: ${Math.max(0, length - 3)}`);
          payload = body ?? Buffer.from("xyz");
          break;
        case "lengthLong":
          lines.push(`content-length: ${length + 10}`);
          payload = body ?? payload;
          halfClose = true;
          break;
        case "lengthDuplicateSame":
          lines.push(`content-length: ${length}`, `content-length: ${length}`);
          payload = body ?? payload;
          break;
        case "lengthDuplicateDifferent":
          lines.push(`content-length: ${length}`, `content-length: ${length + 1}`);
          payload = body ?? payload;
          break;
        case "lengthInvalid":
          lines.push(`content-length: ${r.lengthJunk}`);
          payload = body ?? payload;
          break;
        case "lengthAndChunked":
          lines.push(`content-length: ${length}`, "transfer-encoding: chunked");
          payload = chunked(body ?? Buffer.from("x"), 1);
          break;
        case "transferEncodingOdd":
          lines.push(`transfer-encoding: ${r.transferEncoding}`);
          payload = chunked(body ?? Buffer.from("x"), 1);
          break;
        case "noLength":
          payload = body ?? payload;
          break;
      }
      if (!r.headers.keepAlive) lines.push("connection: close");
      let bytes: Buffer = Buffer.concat([Buffer.from(`${lines.join(eol)}${eol}${eol}`, "latin1"), payload]);
      if (r.framing === "pipelined") bytes = Buffer.concat([bytes, Buffer.from(`GET /healthz HTTP/1.1${eol}host: x${eol}connection: close${eol}${eol}`)]);
      const cuts = [...new Set(r.cut.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let from = 0;
      for (const at of [...cuts, bytes.length]) {
        if (at > from) pieces.push(bytes.subarray(from, at));
        from = at;
      }
      return { pieces, pauseMs: r.slow, halfClose, method };
    });
}
