/**
 * The one parser for webhook signing secrets, wherever they come from (WEBHOOK_SECRET, or the Key Vault secret
 * named by WEBHOOK_SECRET_NAME). A secret is Standard Webhooks' `whsec_<base64>`: the key is the base64-decoded
 * bytes. Plain secrets are refused rather than mapped to bytes some way, because the receivers' libraries would
 * each guess differently (the JS one's "raw" format takes UTF-16 code units, not UTF-8), and a guess that differs
 * fails every verification. A list holds one secret while steady, two while rotating, newest first.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
 */
import { parseSecretList } from "./secret-list.js";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** The specification's range for a key (192 to 512 bits). */
export const MIN_WEBHOOK_KEY_BYTES = 24;
export const MAX_WEBHOOK_KEY_BYTES = 64;

export interface ParsedWebhookSecrets {
  /** Newest first, each exactly as configured (`whsec_…`). */
  secrets: string[];
  /** Each names the entry by position, never by value: values are secrets. */
  problems: string[];
}

// Standard, padded base64 only: every receiver library (and Python's b64decode with validate=True) decodes it the same.
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function problemOf(secret: string): string | undefined {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) {
    return `expected whsec_ followed by the base64 of ${MIN_WEBHOOK_KEY_BYTES} to ${MAX_WEBHOOK_KEY_BYTES} random bytes (plain secrets are not accepted; see docs/webhooks.md, Secrets)`;
  }
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  // The round trip also refuses non-zero spare bits, which lenient decoders drop and strict ones reject.
  if (!PADDED_BASE64.test(encoded) || Buffer.from(encoded, "base64").toString("base64") !== encoded) {
    return "the part after whsec_ is not standard padded base64 (A-Z a-z 0-9 + /, '=' padding)";
  }
  const bytes = Buffer.byteLength(encoded, "base64");
  if (bytes < MIN_WEBHOOK_KEY_BYTES || bytes > MAX_WEBHOOK_KEY_BYTES) {
    return `the key is ${bytes} bytes; it must be ${MIN_WEBHOOK_KEY_BYTES} to ${MAX_WEBHOOK_KEY_BYTES}`;
  }
  return undefined;
}

/** Secrets separated by commas (or newlines, as a vault value may be written), newest first. */
export function parseWebhookSecretList(raw: string): ParsedWebhookSecrets {
  const { values: secrets, problems } = parseSecretList<string>(
    raw,
    (secret, position) => {
      const problem = problemOf(secret);
      if (problem) return { problem: `entry ${position}: ${problem}` };
      return { value: secret, identity: secret, duplicate: `entry ${position}: the same secret is listed twice` };
    },
    "no secret",
  );
  return { secrets, problems };
}
