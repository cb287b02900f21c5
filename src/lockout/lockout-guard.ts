/**
 * The attempt budget: after LOCKOUT_MAX_FAILURES declined or spoof outcomes for one (client, subject)
 * or one (client, deviceCorrelationId) within the window, new sessions for it are refused with 429 until the
 * cool-down ends. Subject and device are counted independently, and always within one client: two clients may use
 * the same subject string for different people.
 */
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import type { Clock } from "../lib/clock.js";
import type { LockoutRule, LockoutState, LockoutStore } from "../state/lockout-store.js";

/** What a lockout is kept for: exactly one of the two. */
export type LockoutTarget = { subject: string; deviceCorrelationId?: never } | { deviceCorrelationId: string; subject?: never };

/** The subject and device of one session, either or both possibly unknown. */
export interface LockoutSubjects {
  subject?: string | undefined;
  deviceCorrelationId?: string | undefined;
}

/** Store keys; a clientId has no ':' (lib/api-key-list.ts), so no two (client, target) pairs share a key. */
export function lockoutKey(clientId: string, target: LockoutTarget): string {
  return target.subject !== undefined ? `${clientId}:subject:${target.subject}` : `${clientId}:device:${target.deviceCorrelationId}`;
}

function targetsOf(subjects: LockoutSubjects): LockoutTarget[] {
  const targets: LockoutTarget[] = [];
  if (subjects.subject !== undefined) targets.push({ subject: subjects.subject });
  if (subjects.deviceCorrelationId !== undefined) targets.push({ deviceCorrelationId: subjects.deviceCorrelationId });
  return targets;
}

export interface LockoutStatus extends LockoutState {
  /** While locked: whole seconds until the lock ends, as the Retry-After header says. */
  retryAfterSeconds?: number;
}

const retryAfterSeconds = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000));

export class LockoutGuard {
  constructor(
    private readonly store: LockoutStore,
    private readonly rule: LockoutRule,
    private readonly clock: Clock,
  ) {}

  /** Throws 429 LSO_ERR_LOCKED_OUT, with Retry-After until the later lock ends, when the subject or device is locked. */
  async assertNotLocked(clientId: string, subjects: LockoutSubjects): Promise<void> {
    const now = this.clock.now();
    let until = 0;
    for (const target of targetsOf(subjects)) {
      const { lockedUntil } = await this.store.get(lockoutKey(clientId, target), this.rule.windowMs);
      if (lockedUntil !== undefined) until = Math.max(until, lockedUntil);
    }
    if (until > now) throw new AppError("LSO_ERR_LOCKED_OUT", { retryAfterSeconds: retryAfterSeconds(until, now) });
  }

  /** Counts one failed outcome against the session's subject and device. */
  async recordFailure(clientId: string, subjects: LockoutSubjects, log: FastifyBaseLogger): Promise<void> {
    const now = this.clock.now();
    for (const target of targetsOf(subjects)) {
      const state = await this.store.recordFailure(lockoutKey(clientId, target), now, this.rule);
      if (state.lockedUntil !== undefined && state.failures === 0) {
        // Which dimension, not its value: the subject is the caller's reference for a person.
        log.warn({ lockout: target.subject !== undefined ? "subject" : "device", lockedUntil: new Date(state.lockedUntil).toISOString() }, "lockout started");
      }
    }
  }

  async status(clientId: string, target: LockoutTarget): Promise<LockoutStatus> {
    const now = this.clock.now();
    const state = await this.store.get(lockoutKey(clientId, target), this.rule.windowMs);
    return state.lockedUntil === undefined ? state : { ...state, retryAfterSeconds: retryAfterSeconds(state.lockedUntil, now) };
  }

  /** True when there was a lock or a failure to forget. */
  async clear(clientId: string, target: LockoutTarget): Promise<boolean> {
    return this.store.clear(lockoutKey(clientId, target));
  }
}
