/**
 * How a loop that fails the same way on every tick logs it, so an outage (Redis, Face) reads as three kinds of line
 * instead of a stack per tick: the first failure as a warn with its stack; while it goes on, one warn line without a
 * stack at most once a QUIET_MS, counting the failures since the last line; and one info line once it works again.
 */
import type { Clock } from "./clock.js";

/** What it needs of a logger (pino's and Fastify's fit). */
export interface LineLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** At most one "still failing" line this often: an operator learns the outage goes on, the log is not flooded. */
export const QUIET_MS = 60_000;

export interface FailureReporter {
  failed(error: unknown, fields?: Record<string, unknown>): void;
  succeeded(): void;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class RepeatedFailureLog implements FailureReporter {
  private firstAt: number | undefined;
  private lastLineAt = 0;
  /** Failures since the last line written. */
  private unlogged = 0;
  /** Failures since the first, for the recovery line. */
  private total = 0;
  /** Every failure ever reported: a caller compares it before and after a run to tell a clean one. */
  reported = 0;

  constructor(
    private readonly log: LineLogger,
    private readonly clock: Clock,
    /** What fails, as a log message's subject: "session background work" → "... failed", "... recovered". */
    private readonly what: string,
  ) {}

  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    const now = this.clock.now();
    this.reported += 1;
    this.total += 1;
    if (this.firstAt === undefined) {
      this.firstAt = now;
      this.lastLineAt = now;
      this.log.warn({ ...fields, err: error }, `${this.what} failed`);
      return;
    }
    this.unlogged += 1;
    if (now - this.lastLineAt < QUIET_MS) return;
    this.log.warn({ ...fields, failures: this.unlogged, since: new Date(this.firstAt).toISOString(), reason: reasonOf(error) }, `${this.what} still failing`);
    this.lastLineAt = now;
    this.unlogged = 0;
  }

  succeeded(): void {
    if (this.firstAt === undefined) return;
    this.log.info({ failures: this.total, failingMs: this.clock.now() - this.firstAt }, `${this.what} recovered`);
    this.firstAt = undefined;
    this.unlogged = 0;
    this.total = 0;
  }
}
