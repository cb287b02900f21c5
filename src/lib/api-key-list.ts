/**
 * The one parser for caller key lists, wherever they come from (API_KEYS, ADMIN_API_KEYS, or a Key Vault secret).
 * Entries are `clientId:key`, or `clientId:sha256:<64 hex>` so a vault can hold hashes instead of keys.
 * A client may appear more than once: that is how it holds an old and a new key while it rotates.
 */
import { hash } from "node:crypto";
import { parseSecretList } from "./secret-list.js";

export type ApiKeyEntry = { clientId: string; key: string } | { clientId: string; sha256: string };

export interface ParsedApiKeys {
  entries: ApiKeyEntry[];
  /** Each names the entry by position (and client), never by value: values are secrets. */
  problems: string[];
}

const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SHA256_ENTRY = /^sha256:([0-9a-fA-F]{64})$/;
export const MIN_API_KEY_LENGTH = 16;

export function parseApiKeyList(raw: string): ParsedApiKeys {
  const { values: entries, problems } = parseSecretList<ApiKeyEntry>(
    raw,
    (pair, position) => {
      const sep = pair.indexOf(":");
      const clientId = sep > 0 ? pair.slice(0, sep) : "";
      const secret = sep > 0 ? pair.slice(sep + 1) : "";
      if (!CLIENT_ID.test(clientId)) {
        return { problem: `entry ${position}: expected clientId:key with a clientId of letters, digits, '.', '_' or '-' (1 to 64)` };
      }
      const hash = SHA256_ENTRY.exec(secret)?.[1]?.toLowerCase();
      if (!hash && secret.length < MIN_API_KEY_LENGTH) {
        return { problem: `entry ${position} (${clientId}): the key must be at least ${MIN_API_KEY_LENGTH} characters` };
      }
      return {
        value: hash ? { clientId, sha256: hash } : { clientId, key: secret },
        identity: hash ? `sha256:${hash}` : `key:${secret}`,
        duplicate: `entry ${position} (${clientId}): the same key is listed twice`,
      };
    },
    "no clientId:key pair",
  );
  return { entries, problems };
}

/**
 * Keys are only ever held and compared as their SHA-256. The one-shot crypto.hash: every authenticated request pays
 * for this, and a Hash object per call cost about twice as much.
 */
export function hashApiKey(key: string): Buffer {
  return hash("sha256", key, "buffer");
}

/** The same digest in hex: how the key ring looks keys up. */
export function hashApiKeyHex(key: string): string {
  return hash("sha256", key, "hex");
}
