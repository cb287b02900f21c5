/**
 * The in-process rate limits: a fixed window per key, counted in a Map, answered synchronously. Two of these counts
 * run on every /v1 request, and rate-limiter-flexible's RateLimiterMemory cost each a promise, a timer per window
 * and a result object; this is the same fixed window with none of those. Like Redis (one counter per key whatever
 * the limit), a key whose limit changes mid-window keeps its count. Windows follow the wall clock, as Redis' expiry
 * does; finished windows are dropped by the state's sweep, or replaced on the key's next request.
 */
import type { RateLimitStore, RateLimitVerdict } from "../rate-limit-store.js";
import { checkWindow } from "../rate-limit-store.js";
import { deleteExpired } from "../../lib/expired-entries.js";

interface Window {
  count: number;
  endsAt: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, Window>();

  consume(key: string, limit: number, windowMs: number): RateLimitVerdict | Promise<RateLimitVerdict> {
    const invalid = checkWindow(windowMs);
    if (invalid) return Promise.reject(invalid);
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    const allowed = window.count <= limit;
    return { allowed, remaining: allowed ? limit - window.count : 0, resetInMs: window.endsAt - now };
  }

  /** Drops every finished window; returns how many. */
  sweep(): number {
    return deleteExpired(this.windows, Date.now(), (window) => window.endsAt);
  }

  get size(): number {
    return this.windows.size;
  }

  clear(): void {
    this.windows.clear();
  }
}
