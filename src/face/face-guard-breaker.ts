/**
 * A circuit breaker in front of Face: after `failureThreshold` consecutive failures (see breakerOutcome) it opens
 * and every call fails fast for `cooldownMs`; then it lets one trial call through (half-open), whose outcome
 * closes it again or re-opens it. Failing fast keeps our callers' latency low and stops us hammering a sick Face.
 */
import type { FastifyBaseLogger } from "fastify";

import type { Clock } from "../lib/clock.js";
import type { BreakerOutcome } from "./face-guard-policy.js";

export type BreakerState = "closed" | "open" | "halfOpen";

export interface BreakerSettings {
  failureThreshold: number;
  cooldownMs: number;
}

/** Passage through the breaker; a trial ticket decides the half-open state. */
export interface BreakerTicket {
  trial: boolean;
}

/** The wait to report to a caller refused by the breaker. */
export interface BreakerRefusal {
  retryAfterMs: number;
}

/** While a trial call is out, others are told to come back in a second rather than the whole cool-down. */
const TRIAL_BUSY_MS = 1000;

export class CircuitBreaker {
  private current: BreakerState = "closed";
  private failures = 0;
  private openUntil = 0;
  private trialOut = false;
  readonly transitions: Record<BreakerState, number> = { closed: 0, open: 0, halfOpen: 0 };

  constructor(
    private readonly settings: BreakerSettings,
    private readonly clock: Clock,
    private readonly logger: FastifyBaseLogger,
  ) {}

  get state(): BreakerState {
    this.expireCooldown();
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Whether a call may even queue for Face; claims nothing. */
  check(): BreakerRefusal | undefined {
    this.expireCooldown();
    if (this.current === "open") return { retryAfterMs: this.openUntil - this.clock.now() };
    if (this.current === "halfOpen" && this.trialOut) return { retryAfterMs: TRIAL_BUSY_MS };
    return undefined;
  }

  /** Right before calling Face: a ticket, or a refusal. In half-open, the first caller gets the one trial. */
  enter(): BreakerTicket | BreakerRefusal {
    const refusal = this.check();
    if (refusal) return refusal;
    if (this.current === "halfOpen") {
      this.trialOut = true;
      return { trial: true };
    }
    return { trial: false };
  }

  record(ticket: BreakerTicket, outcome: BreakerOutcome): void {
    if (ticket.trial) {
      this.trialOut = false;
      // A throttled trial proves nothing either way: stay half-open, Retry-After spaces the next trial.
      if (outcome === "success") this.close();
      else if (outcome === "failure") this.open();
      return;
    }
    // Calls that were already out when the breaker opened report late; only the trial decides what happens next.
    if (this.current !== "closed") return;
    if (outcome === "success") this.failures = 0;
    else if (outcome === "failure" && ++this.failures >= this.settings.failureThreshold) this.open();
  }

  private expireCooldown(): void {
    if (this.current === "open" && this.clock.now() >= this.openUntil) this.moveTo("halfOpen");
  }

  private open(): void {
    this.openUntil = this.clock.now() + this.settings.cooldownMs;
    this.moveTo("open");
    this.logger.warn(
      { breaker: "open", consecutiveFailures: this.failures, cooldownMs: this.settings.cooldownMs },
      "Face circuit breaker opened: calls to Face fail fast until a trial call succeeds",
    );
  }

  private close(): void {
    this.failures = 0;
    this.moveTo("closed");
    this.logger.warn({ breaker: "closed" }, "Face circuit breaker closed: a trial call to Face succeeded");
  }

  private moveTo(state: BreakerState): void {
    this.current = state;
    this.transitions[state] += 1;
  }
}
