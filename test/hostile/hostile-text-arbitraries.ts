/**
 * fast-check arbitraries for hostile text: control characters, bidi marks, lone surrogates, injection probes, huge
 * repetitions; and the free text the API must refuse (control and bidi characters inside otherwise valid text).
 */
import fc from "fast-check";

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

/** One character the free-text rule refuses: C0, DEL, C1, a bidi control, or a line or paragraph separator. */
export const forbiddenCharacter: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0x00, max: 0x1f }) },
    { weight: 2, arbitrary: fc.integer({ min: 0x7f, max: 0x9f }) },
    { weight: 3, arbitrary: fc.constantFrom(0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029) },
  )
  .map((code) => String.fromCodePoint(code));

/** Text that would be accepted but for one (or a few) forbidden characters, anywhere in it; at most `maxLength` units. */
export function textWithForbidden(maxLength: number): fc.Arbitrary<string> {
  const around = fc.string({ unit: "grapheme-ascii", maxLength: Math.floor((maxLength - 3) / 2) });
  return fc
    .tuple(around, fc.array(forbiddenCharacter, { minLength: 1, maxLength: 3 }), around)
    .map(([before, bad, after]) => `${before}${bad.join("")}${after}`);
}

/** Text the free-text rule accepts: any script, emoji, joiners, no-break spaces; 1 to `maxLength` UTF-16 units. */
export function allowedText(maxLength: number): fc.Arbitrary<string> {
  const pieces = fc.oneof(
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }),
    fc.constantFrom("José", "日本語", "עברית", "عربى", "👩‍👩‍👧‍👦", "🏳️‍🌈", "a\u00a0b", "ß", "İ", "\u200d", "\u200b"),
  );
  return fc
    .array(pieces, { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join(""))
    // eslint-disable-next-line no-control-regex -- the same ranges as src/lib/plain-text.ts, spelled out independently
    .filter((text) => text.length <= maxLength && !/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(text));
}
