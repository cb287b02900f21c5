/**
 * The in-process quota bucket: one process is its only taker, but the rules are the shared one's
 * (quota-bucket-redis.ts): lanes refill continuously, a take is all lanes or none (each leaving its reserve), a pause empties every lane so
 * that exactly one token is due when it ends. A handful of entries (Face resources × lanes): nothing to sweep.
 */
import type { Clock } from "../../lib/clock.js";
import { PAUSE_HOLD, type QuotaBucket, type QuotaGrant, type QuotaLane, type QuotaPause } from "../quota-bucket.js";

interface LaneState {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

interface ResourceState {
  lanes: Map<string, LaneState>;
  pausedUntil: number;
  /** When the pause was set: lane states older than this were emptied by it. */
  pausedAt: number;
}

/** Tokens accrue in fractions; this absorbs floating-point dust so a due token is never missed. */
const EPSILON = 1e-9;
/** The same dust in a wait: 1.0000000000002 ms is a 1 ms wait, not 2. */
const EPSILON_MS = 1e-6;

export class MemoryQuotaBucket implements QuotaBucket {
  private readonly resources = new Map<string, ResourceState>();

  constructor(private readonly clock: Clock) {}

  async take(resource: string, lanes: readonly QuotaLane[]): Promise<QuotaGrant> {
    const now = this.clock.now();
    const state = this.resourceOf(resource);
    if (now < state.pausedUntil) return { granted: false, retryInMs: Math.ceil(state.pausedUntil - now), heldBy: PAUSE_HOLD };
    const current = lanes.map((lane) => refilled(state, lane, now));
    let worst = 0;
    let heldBy = "";
    lanes.forEach((lane, i) => {
      const needed = 1 + (lane.reserve ?? 0);
      const wait = (needed - current[i]!.tokens) * (1000 / lane.ratePerSec);
      if (current[i]!.tokens + EPSILON < needed && wait > worst) [worst, heldBy] = [wait, lane.name];
    });
    if (worst > 0) return { granted: false, retryInMs: Math.max(1, Math.ceil(worst - EPSILON_MS)), heldBy };
    lanes.forEach((lane, i) => state.lanes.set(lane.name, { tokens: current[i]!.tokens - 1, at: current[i]!.at }));
    return { granted: true };
  }

  async pause(resource: string, forMs: number): Promise<QuotaPause> {
    const now = this.clock.now();
    const state = this.resourceOf(resource);
    const until = now + forMs;
    if (until <= state.pausedUntil) return { grew: false, until: state.pausedUntil };
    state.pausedUntil = until;
    state.pausedAt = now;
    return { grew: true, until };
  }

  private resourceOf(resource: string): ResourceState {
    let state = this.resources.get(resource);
    if (!state) {
      state = { lanes: new Map(), pausedUntil: 0, pausedAt: -1 };
      this.resources.set(resource, state);
    }
    return state;
  }
}

/** A lane's tokens at `now`: full when never used; after a pause, empty with one token due as the pause ends. */
function refilled(state: ResourceState, lane: QuotaLane, now: number): LaneState {
  const intervalMs = 1000 / lane.ratePerSec;
  // A lane first used since a pause counts as emptied by it, like every other lane.
  let { tokens, at } = state.lanes.get(lane.name) ?? (state.pausedAt >= 0 ? { tokens: 0, at: state.pausedAt } : { tokens: lane.burst, at: now });
  if (at <= state.pausedAt) [tokens, at] = [0, Math.max(state.pausedAt, state.pausedUntil - intervalMs)];
  if (now > at) [tokens, at] = [Math.min(lane.burst, tokens + (now - at) / intervalMs), now];
  return { tokens, at };
}
