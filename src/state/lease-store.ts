/**
 * Named leases, so one replica at a time runs a given piece of background work. A lease lapses by itself after its
 * ttl, so a replica that dies frees it. Each acquisition hands out a fencing token that is strictly greater than
 * every earlier one for that name, so work done under a lapsed lease can be told from the current holder's.
 * Redis: SET NX PX plus an INCR counter, in one Lua script.
 */
export interface LeaseStore {
  /** Takes `name` for `ttlMs` if free or already ours; a fencing token (strictly increasing per name) or undefined. */
  acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined>;
  /** Extends our lease; false when it lapsed or another holder has it. */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if we hold it; does nothing otherwise. */
  release(name: string, holder: string): Promise<void>;
}
