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
 * A completed entry also names the session it created, so that deleting (or erasing) the session can find the
 * entry: forgetSession drops the stored response (and with it the auth token) and leaves a tombstone, so a retry
 * with the same key is told the session is gone instead of replaying its 201 or creating another one.
 */

export interface StoredResponse {
  status: number;
  /** JSON-serialisable. */
  body: unknown;
}

/** What an erased entry answers with: the replay gets 404, as for any erased session. */
export const ERASED_RESPONSE: StoredResponse = { status: 404, body: null };

export type IdempotencyEntry =
  /** A first request holds the key and is creating the session. */
  | { state: "pending"; fingerprint: string }
  | { state: "completed"; fingerprint: string; response: StoredResponse }
  /** The session it created was deleted: the response is gone, the key stays taken until its retention ends. */
  | { state: "forgotten"; fingerprint: string };

export type ClaimResult =
  /** The caller now owns the key until leaseMs pass; the token proves it to complete and release. */
  | { claimed: true; token: string }
  | { claimed: false; entry: IdempotencyEntry };

export interface IdempotencyStore {
  /** Takes the key if free (absent or expired); otherwise answers what holds it. */
  claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult>;
  /**
   * Stores the response for ttlMs, if `token` still owns the key; false when it does not (its lease lapsed).
   * `sessionId` names the session the response created, for forgetSession.
   */
  complete(key: string, token: string, response: StoredResponse, ttlMs: number, sessionId?: string): Promise<boolean>;
  /** Frees the key after a failed first request, if `token` still owns it. */
  release(key: string, token: string): Promise<void>;
  /**
   * Drops the stored response of the entry that created `sessionId` (the auth token goes with it) and leaves the key
   * forgotten for the rest of its retention. Idempotent; false when no live entry names the session.
   */
  forgetSession(sessionId: string): Promise<boolean>;
  /**
   * Erasure: a live entry's response (auth token, subject) is replaced by ERASED_RESPONSE and its fingerprint
   * emptied, for the rest of its retention, so a replay finds neither the token nor a free key to create again with.
   */
  erase(key: string): Promise<void>;
}
