/** The in-process lease store: one process is its own only replica, but the semantics match the shared one. */
import type { Clock } from "../../lib/clock.js";
import type { LeaseStore } from "../lease-store.js";

interface Lease {
  holder: string;
  until: number;
}

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Lease>();
  /** The last fencing token handed out per name; kept after release so tokens never go back. */
  private readonly tokens = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const now = this.clock.now();
    const current = this.leases.get(name);
    if (current && current.until > now && current.holder !== holder) return undefined;
    const token = (this.tokens.get(name) ?? 0) + 1;
    this.tokens.set(name, token);
    this.leases.set(name, { holder, until: now + ttlMs });
    return token;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const current = this.leases.get(name);
    if (!current || current.until <= now || current.holder !== holder) return false;
    current.until = now + ttlMs;
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
}
