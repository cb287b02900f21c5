/**
 * Caller API keys, held only as SHA-256 digests. A presented key is hashed and looked up by its digest: the lookup's
 * timing depends on the digest, which an attacker can neither choose nor learn from a guess, so it tells nothing
 * about how close a guess was or which client exists (as a constant-time compare against every entry did, at a
 * cost that grew with the number of keys).
 * The ring is replaceable as a whole, so a rotation (new keys from Key Vault) swaps atomically.
 */
import { hashApiKeyHex, type ApiKeyEntry } from "../lib/api-key-list.js";

export class ApiKeyRing {
  /** Client by the hex SHA-256 of its key. */
  private clients: ReadonlyMap<string, string> = new Map();

  constructor(keys: readonly ApiKeyEntry[]) {
    this.replace(keys);
  }

  replace(keys: readonly ApiKeyEntry[]): void {
    const clients = new Map<string, string>();
    for (const k of keys) {
      const digest = "key" in k ? hashApiKeyHex(k.key) : k.sha256.toLowerCase();
      // The first entry for a digest wins, as the first match did in the list this replaces.
      if (!clients.has(digest)) clients.set(digest, k.clientId);
    }
    this.clients = clients;
  }

  /** The client the key belongs to, or undefined. */
  verify(presented: string): string | undefined {
    return this.clients.get(hashApiKeyHex(presented));
  }

  get size(): number {
    return this.clients.size;
  }
}
