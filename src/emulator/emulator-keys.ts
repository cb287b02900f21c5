/**
 * The subscription keys the emulator accepts. A real Face resource has two keys (KEY1, KEY2) so that callers can
 * rotate without downtime: switch to KEY2, then regenerate KEY1. `set` lets a test or a developer do the same.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

export class SubscriptionKeys {
  private digests: Buffer[] = [];

  /** No keys means any non-empty key is accepted (the emulator's default without FACE_APIKEY). */
  constructor(keys: readonly string[] = []) {
    this.set(keys);
  }

  set(keys: readonly string[]): void {
    this.digests = keys.map(digest);
  }

  accepts(key: string | undefined): boolean {
    if (!key) return false;
    if (this.digests.length === 0) return true;
    // Hashing first gives equal lengths, as timingSafeEqual needs, without revealing the key's length.
    const given = digest(key);
    let match = false;
    for (const expected of this.digests) match = timingSafeEqual(given, expected) || match;
    return match;
  }
}
