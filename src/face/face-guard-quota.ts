/**
 * The shared quota the guard draws on. Face's quota is per Face resource, not per process, so the token bucket lives
 * in the state layer (memory for one instance, Redis for replicas), and every replica's guard takes its tokens from
 * the same bucket. Declared here, implemented in src/state/: face/ never imports state/.
 */

/**
 * One token bucket of a resource: `ratePerSec` tokens a second, at most `burst` saved up. A call may draw on several
 * lanes at once (every call on "face", background reads also on "background"); it gets a token from each or none.
 */
export interface QuotaLane {
  name: string;
  ratePerSec: number;
  burst: number;
  /**
   * Tokens (or a fraction of one) this take must leave in the lane, default 0: it is held while fewer than
   * 1 + reserve are there. Takers without a reserve may use them; the guard keeps half a token this way for creates,
   * so a create waits at most half an interval behind reads that keep the quota busy. Takers of one lane pass the
   * same burst; `burst` must exceed the reserve, or the take could never be granted.
   */
  reserve?: number;
}

/** What held a call back: one of its lanes, or Face's own Retry-After pause. */
export type QuotaHold = string;

export const PAUSE_HOLD: QuotaHold = "pause";

export type QuotaGrant = { granted: true } | { granted: false; retryInMs: number; heldBy: QuotaHold };

export interface QuotaPause {
  /** Whether this pause pushed the resource's pause further out. */
  grew: boolean;
  /** The pause's end (epoch ms on the bucket's clock). */
  until: number;
}

export interface QuotaBucket {
  /**
   * One token from every lane of `resource`, atomically, all or none; refused while Face's pause lasts. Refused, it
   * says how long until every lane could give one (the caller waits, then asks again) and what held the call.
   */
  take(resource: string, lanes: readonly QuotaLane[]): Promise<QuotaGrant>;
  /**
   * Face said "not before `forMs` from now": every taker of `resource`, on every replica, is held until then. The
   * lanes then restart empty, so calls resume one token at a time rather than as a burst into a throttled Face.
   */
  pause(resource: string, forMs: number): Promise<QuotaPause>;
}
