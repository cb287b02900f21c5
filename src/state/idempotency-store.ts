/**
 * Where idempotent creates are remembered, shaped for one Redis command each: claim = SET key pending NX PX lease
 * (or GET what is there), complete = a compare-and-set on the claim token (Lua) with a 24 h PX, release = DEL only
 * while the token still owns the key (Lua). Nothing here is an in-process promise: a duplicate waits by calling
 * claim again until the entry completes or disappears, which works the same across instances.
 *
 * A completed entry holds the original response, auth token included, for its whole retention: implementations
 * never log entries, and a shared backend encrypts them at rest. The body is whatever JSON the create answered; the
 * reader parses it with its own schema, so this layer knows nothing of the session API.
 *
 * A completed entry also names the session it created. Deleting the session and erasing its subject both end in
 * forget: the stored response (auth token, subject) and the fingerprint go, and a tombstone keeps the key taken, so
 * a retry with the same key is told the session is gone instead of replaying its 201 or creating another one.
 */

export interface StoredResponse {
  status: number;
  /** JSON-serialisable. */
  body: unknown;
}

export type IdempotencyEntry =
  /** A first request holds the key and is creating the session. */
  | { state: "pending"; fingerprint: string }
  | { state: "completed"; fingerprint: string; response: StoredResponse }
  /**
   * The session it created was deleted or erased: the response is gone, the key stays taken until its retention
   * ends. No fingerprint either: it is a digest of the input, subject included, and nothing is compared any more.
   */
  | { state: "forgotten" };

export type ClaimResult =
  /** The caller now owns the key until leaseMs pass; the token proves it to complete and release. */
  | { claimed: true; token: string }
  | { claimed: false; entry: IdempotencyEntry };

export interface IdempotencyStore {
  /** Takes the key if free (absent or expired); otherwise answers what holds it. */
  claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult>;
  /**
   * Stores the response for ttlMs, if `token` still owns the key; false when it does not (its lease lapsed).
   * `sessionId` names the session the response created, which forget checks.
   */
  complete(key: string, token: string, response: StoredResponse, ttlMs: number, sessionId?: string): Promise<boolean>;
  /** Frees the key after a failed first request, if `token` still owns it. */
  release(key: string, token: string): Promise<void>;
  /**
   * The session `sessionId`, created under `key`, was deleted or erased: the entry's stored response (auth token
   * included) and fingerprint go and the key stays forgotten for the rest of its retention. A pending entry is
   * forgotten too, so a create still finishing cannot store the token afterwards. An entry completed for another
   * session is left alone. Idempotent; true when this call forgot the entry.
   */
  forget(key: string, sessionId: string): Promise<boolean>;
}
