/**
 * The attempt budget's memory: recent failures and lockouts per key. Redis: a sorted set of failure times plus a
 * lock key with a TTL, and recordFailure is one Lua script (ZREMRANGEBYSCORE, ZADD, ZCARD, SET PX), so it is atomic
 * across instances. Windows end at the store's clock; a failure's `at` is the time it happened (data).
 */

export interface LockoutRule {
  /** Failures within windowMs that lock the key. */
  maxFailures: number;
  windowMs: number;
  /** How long a lock lasts from the failure that set it. */
  cooldownMs: number;
}

export interface LockoutState {
  /** Failures in (now - windowMs, now]; a lock starts a fresh count. */
  failures: number;
  /** Set while a lock is in force (epoch ms); absent once it has ended. */
  lockedUntil?: number;
}

export interface LockoutStore {
  /** Records one failure at `at`; the Nth within the window locks the key until at + cooldownMs. */
  recordFailure(key: string, at: number, rule: LockoutRule): Promise<LockoutState>;
  /** The key's state now: failures within the last windowMs, and the lock while it lasts. */
  get(key: string, windowMs: number): Promise<LockoutState>;
  /** Forgets the key's lock and failures; true when there was any in force. */
  clear(key: string): Promise<boolean>;
}
