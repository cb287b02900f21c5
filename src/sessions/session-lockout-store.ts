/**
 * The attempt budget's memory: recent failures and lockouts per key, behind an interface a Redis backend can
 * implement with the same guarantees: a key is a sorted set of failure times plus a lock key with a TTL, and
 * recordFailure is one Lua script (ZREMRANGEBYSCORE, ZADD, ZCARD, SET PX), so it is atomic across instances.
 * Times are passed in rather than read from a clock inside, so every backend agrees with the service's Clock.
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
  get(key: string, now: number, windowMs: number): Promise<LockoutState>;
  /** Forgets the key's lock and failures; true when there was any. */
  clear(key: string, now: number): Promise<boolean>;
  close(): Promise<void>;
}
