/** The in-process fixed-window counter; windows are dropped once over, so memory follows active keys only. */
import type { Clock } from "../../lib/clock.js";
import type { RateLimitHit, RateLimitStore } from "../rate-limit-store.js";

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, RateLimitHit>();

  constructor(private readonly clock: Clock) {}

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const now = this.clock.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { ...window };
  }

  /** Removes every window that is over; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [key, window] of this.windows) {
      if (window.resetAt <= now) {
        this.windows.delete(key);
        removed += 1;
      }
    }
    return removed;
  }
}
