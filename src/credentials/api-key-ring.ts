/**
 * Caller API keys, held only as SHA-256 hashes. Lookups compare against every entry in constant time, so neither
 * timing nor early exit tells an attacker how close a guess was or which client exists.
 * The ring is replaceable as a whole, so a rotation (new keys from Key Vault) swaps atomically.
 */
import { timingSafeEqual } from "node:crypto";
import { hashApiKey, type ApiKeyEntry } from "../lib/api-key-list.js";

interface HashedKey {
  clientId: string;
  hash: Buffer;
}

export class ApiKeyRing {
  private entries: readonly HashedKey[] = [];

  constructor(keys: readonly ApiKeyEntry[]) {
    this.replace(keys);
  }

  replace(keys: readonly ApiKeyEntry[]): void {
    this.entries = keys.map((k) => ({ clientId: k.clientId, hash: "key" in k ? hashApiKey(k.key) : Buffer.from(k.sha256, "hex") }));
  }

  /** The client the key belongs to, or undefined. */
  verify(presented: string): string | undefined {
    const candidate = hashApiKey(presented);
    let match: string | undefined;
    for (const entry of this.entries) {
      // No early return: every entry costs the same, whether or not an earlier one matched.
      if (timingSafeEqual(entry.hash, candidate) && match === undefined) match = entry.clientId;
    }
    return match;
  }

  get size(): number {
    return this.entries.length;
  }
}
