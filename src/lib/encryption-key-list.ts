/**
 * The one parser for STATE_ENCRYPTION_KEY, wherever it comes from (the variable, or the Key Vault secret named by
 * STATE_ENCRYPTION_KEY_SECRET_NAME): base64 keys of exactly 32 bytes (AES-256), comma separated (or one per line,
 * as a vault value may be written), newest first. The first key seals; every key opens.
 */
import { parseSecretList } from "./secret-list.js";

export const ENCRYPTION_KEY_BYTES = 32;

export interface ParsedEncryptionKeys {
  /** Newest first. */
  keys: Buffer[];
  /** Each names the key by position, never by value: values are secrets. */
  problems: string[];
}

export function parseEncryptionKeyList(raw: string): ParsedEncryptionKeys {
  const { values: keys, problems } = parseSecretList<Buffer>(
    raw,
    (part, position) => {
      const key = Buffer.from(part, "base64");
      // Buffer.from skips what is not base64; re-encoding shows whether the text was a clean base64 key.
      if (key.length !== ENCRYPTION_KEY_BYTES || key.toString("base64").replace(/=+$/, "") !== part.replace(/=+$/, "")) {
        return { problem: `key ${position} is not ${ENCRYPTION_KEY_BYTES} bytes of base64 (make one with: openssl rand -base64 32)` };
      }
      return { value: key, identity: key.toString("hex"), duplicate: `key ${position}: the same key is listed twice` };
    },
    "at least one key is required",
  );
  return { keys, problems };
}
