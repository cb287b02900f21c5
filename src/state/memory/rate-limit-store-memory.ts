/** The in-process rate limits: rate-limiter-flexible's RateLimiterMemory, whose own timers drop finished windows. */
import { RateLimiterMemory } from "rate-limiter-flexible";
import { FlexibleRateLimitStore } from "../rate-limit-flexible.js";

export function createMemoryRateLimitStore(): FlexibleRateLimitStore {
  return new FlexibleRateLimitStore((points, duration) => new RateLimiterMemory({ points, duration, keyPrefix: "rate" }));
}
