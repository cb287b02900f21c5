/**
 * The one rule for free text a caller gives us that reaches Face or the logs (subject, deviceCorrelationId, the
 * callback URL, the admin lookups of the same): no control characters and no bidirectional controls. A NUL or an
 * ANSI escape corrupts log lines and terminals; bidi overrides make text read differently from what it is (Trojan
 * Source, CVE-2021-42574), in a console, a log viewer or an audit export. Other Unicode (accents, scripts, emoji,
 * joiners) is fine.
 */
import type { z } from "zod";

/**
 * C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F); ALM (U+061C), LRM/RLM (U+200E/F), the embeddings and overrides
 * (U+202A–U+202E) and the isolates (U+2066–U+2069); and the line and paragraph separators (U+2028/9), which end a
 * line for JavaScript and many log viewers just as a line feed does.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export const PLAIN_TEXT_MESSAGE = "must not contain control characters (C0, C1, DEL) or bidirectional controls";

export const isPlainText = (value: string): boolean => !FORBIDDEN.test(value);

/** The schema, refusing control and bidi characters; every free-text field goes through this one refinement. */
export function plainText<T extends z.ZodType<string>>(schema: T): T {
  return schema.refine(isPlainText, PLAIN_TEXT_MESSAGE) as T;
}
