/** The shared free-text rule, code point by code point at the edges of every refused range. */
import { describe, expect, it } from "vitest";
import { isPlainText } from "../../src/lib/plain-text.js";

const refused = [
  ...Array.from({ length: 0x20 }, (_, i) => i), // C0
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i), // DEL and C1
  0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
];
const allowed = [0x20, 0x7e, 0xa0, 0xad, 0x061b, 0x061d, 0x200b, 0x200c, 0x200d, 0x2027, 0x202f, 0x2065, 0x206a, 0xfeff, 0x1f600];

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;

describe("isPlainText", () => {
  it.each(refused.map((code) => [hex(code), code]))("when the text holds %s, then it is refused", (_name, code) => {
    expect(isPlainText(`ab${String.fromCodePoint(code)}cd`)).toBe(false);
  });

  it.each(allowed.map((code) => [hex(code), code]))("when the text holds %s, then it is allowed", (_name, code) => {
    expect(isPlainText(`ab${String.fromCodePoint(code)}cd`)).toBe(true);
  });
});
