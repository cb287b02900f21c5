/**
 * The Face quota guard: a FaceGateway decorator that keeps every caller inside Face's quota (a token bucket shared
 * by every replica, in front of it bounded local queues: callers before the background loop, tenants in turn),
 * honours Face's Retry-After for all callers on all replicas at once, retries only operations safe to repeat, and
 * fails fast through a circuit breaker while Face is failing. The queues and the breaker are per process; the bucket
 * and the pause are shared. Its refusals are LSO_ERR_UPSTREAM_UNAVAILABLE with retryAfterSeconds, exactly like
 * Face's own 503s, so callers handle one code.
 */
import type { FastifyBaseLogger } from "fastify";

import { isAppError } from "../errors.js";
import type { Clock } from "../lib/clock.js";
import { CircuitBreaker } from "./face-guard-breaker.js";
import { FaceQuotaGate, type GateQuota, type GateTicket } from "./face-guard-gate.js";
import { resolveFaceGuardOptions, type FaceGuardOptions } from "./face-guard-options.js";
import {
  backoffDelayMs,
  breakerOutcome,
  isRetryable,
  retryAfterMsOf,
  retrySafeOperations,
  timerSleep,
  unavailable,
  type GuardOperation,
  type Sleep,
} from "./face-guard-policy.js";
import { GuardCounters, type FaceGuardStats } from "./face-guard-stats.js";
import type { FaceCallContext, FaceCallPriority, FaceGateway, FaceReply } from "./face-gateway.js";

export interface FaceGuardDeps {
  /** The shared token bucket (State.quota) and the Face resource (its host) whose quota it counts. */
  quota: GateQuota;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** Injected so tests drive time by hand; the default's timers are unref'd and cut short by close(). */
  sleep?: Sleep;
  /** Backoff jitter source in [0, 1); Math.random by default. */
  random?: () => number;
  /** A client's weight in the fair queues (its caller policy's faceQuotaWeight); every client 1 when absent. */
  clientWeight?: (clientId: string) => number;
}

export interface GuardedFaceGateway extends FaceGateway {
  /** A copy of the counters and gauges, for /metrics later and for tests now. */
  stats(): FaceGuardStats;
  /** Refuses queued and later calls with 503 and stops the guard's timer; for app shutdown. */
  close(): void;
}

/** Turns an error seen on a retry into a success, when the retry proves the first attempt already did the work. */
type Settle<T> = (err: unknown) => T | undefined;

export function createGuardedFaceGateway(inner: FaceGateway, options: FaceGuardOptions, deps: FaceGuardDeps): GuardedFaceGateway {
  const opts = resolveFaceGuardOptions(options);
  const { clock, logger } = deps;
  const sleep = deps.sleep ?? timerSleep;
  const random = deps.random ?? Math.random;
  const counters = new GuardCounters();
  const breaker = new CircuitBreaker(opts.breaker, clock, logger);
  const gate = new FaceQuotaGate(opts, deps.quota, clock, sleep, {
    refused: (reason) => counters.refusedByGate(reason),
    held: (by) => counters.held(by),
    granted: (priority) => counters.granted(priority),
    quotaError: (error) => {
      counters.quotaError();
      logger.warn({ err: error }, "the shared Face quota could not be reached; calls waiting for it were refused");
    },
  }, deps.clientWeight);
  const closing = new AbortController();

  /** Breaker, then a token, then the breaker again (it may have opened while we queued), then Face. */
  async function attempt<T>(operation: GuardOperation, queueTicket: GateTicket, maxWaitMs: number, send: () => Promise<T>): Promise<T> {
    const refusal = breaker.check();
    if (refusal) {
      counters.refusedByBreaker();
      throw new GuardRefusal(unavailable(refusal.retryAfterMs));
    }
    try {
      await gate.acquire(queueTicket, maxWaitMs);
    } catch (err) {
      throw new GuardRefusal(err);
    }
    const ticket = breaker.enter();
    if (!("trial" in ticket)) {
      counters.refusedByBreaker();
      throw new GuardRefusal(unavailable(ticket.retryAfterMs));
    }
    counters.upstreamCall(operation);
    try {
      const value = await send();
      breaker.record(ticket, "success");
      return value;
    } catch (err) {
      breaker.record(ticket, breakerOutcome(err));
      // Face's quota is per resource: its Retry-After holds every caller, not just this one.
      const retryAfterMs = retryAfterMsOf(err);
      if (retryAfterMs !== undefined && (await gate.pause(retryAfterMs))) counters.paused();
      throw err;
    }
  }

  async function withRetries<T>(operation: GuardOperation, ctx: FaceCallContext | undefined, send: () => Promise<T>, settle?: Settle<T>): Promise<T> {
    const { maxAttempts, baseDelayMs, maxDelayMs, budgetMs } = opts.retry;
    const attempts = retrySafeOperations.has(operation) ? maxAttempts : 1;
    const started = clock.now();
    const ticket = ticketOf(operation, ctx);
    for (let n = 1; ; n++) {
      // A retry may wait for its token only as long as the call's time budget still allows.
      const maxWaitMs = n === 1 ? opts.maxWaitMs : Math.min(opts.maxWaitMs, budgetMs - (clock.now() - started));
      try {
        return await attempt(operation, ticket, maxWaitMs, send);
      } catch (err) {
        if (err instanceof GuardRefusal) throw err.error;
        const settled = n > 1 ? settle?.(err) : undefined;
        if (settled !== undefined) return settled;
        if (n >= attempts || !isRetryable(err)) throw err;
        const delayMs = backoffDelayMs(n, baseDelayMs, maxDelayMs, random);
        if (clock.now() - started + delayMs >= budgetMs) throw err;
        counters.retry(operation);
        (ctx?.log ?? logger).debug(
          { faceOperation: operation, attempt: n + 1, delayMs, errorCode: isAppError(err) ? err.code : "unexpected" },
          "Face call failed; retrying",
        );
        await sleep(delayMs, closing.signal);
      }
    }
  }

  async function guarded<T>(operation: GuardOperation, ctx: FaceCallContext | undefined, send: () => Promise<T>, settle?: Settle<T>): Promise<T> {
    try {
      const value = await withRetries(operation, ctx, send, settle);
      counters.outcome(operation);
      return value;
    } catch (err) {
      counters.outcome(operation, err);
      throw err;
    }
  }

  /**
   * A delete is retried only after a failure that leaves open whether Face deleted the session (timeout, reset, 5xx
   * after the work, a lost reply). If the retry then hears SessionNotFound, the likeliest story is that our first
   * attempt deleted it, and either way the caller's goal holds: the session is gone. So that 404 is a success. A 404
   * on the first attempt is still reported as LSO_ERR_SESSION_NOT_FOUND.
   */
  const deleteGone: Settle<FaceReply<void>> = (err) => {
    if (!isAppError(err) || err.code !== "LSO_ERR_SESSION_NOT_FOUND") return undefined;
    counters.deleteGone();
    return { value: undefined };
  };

  return {
    createLivenessSession: (params, ctx) => guarded("createLivenessSession", ctx, () => inner.createLivenessSession(params, ctx)),
    createLivenessWithVerifySession: (params, ctx) =>
      guarded("createLivenessWithVerifySession", ctx, () => inner.createLivenessWithVerifySession(params, ctx)),
    getSession: (kind, sessionId, ctx) => guarded("getSession", ctx, () => inner.getSession(kind, sessionId, ctx)),
    deleteSession: (kind, sessionId, ctx) => guarded("deleteSession", ctx, () => inner.deleteSession(kind, sessionId, ctx), deleteGone),
    getSessionImage: (sessionImageId, ctx) => guarded("getSessionImage", ctx, () => inner.getSessionImage(sessionImageId, ctx)),
    probe: () => guarded("probe", undefined, () => inner.probe()),
    stats: () =>
      counters.snapshot({
        breaker: { state: breaker.state, consecutiveFailures: breaker.consecutiveFailures, transitions: breaker.transitions },
        queueLength: gate.queueLength,
        queued: gate.queued,
        pausedUntil: gate.pausedUntil,
      }),
    close: () => {
      closing.abort();
      gate.close();
    },
  };
}

/** Each operation's own queue, when the caller did not name one (the background loop names "background"). */
const DEFAULT_PRIORITY: Record<GuardOperation, FaceCallPriority> = {
  createLivenessSession: "create",
  createLivenessWithVerifySession: "create",
  getSession: "read",
  getSessionImage: "read",
  deleteSession: "delete",
  probe: "read",
};

/** Calls that name no client share one turn: the readiness probe, and callers outside any tenant. */
const NO_CLIENT = "";

function ticketOf(operation: GuardOperation, ctx: FaceCallContext | undefined): GateTicket {
  return { priority: ctx?.priority ?? DEFAULT_PRIORITY[operation], clientId: ctx?.clientId ?? NO_CLIENT };
}

/** The guard's own "no" (queue, breaker): final, never retried, never counted against Face. */
class GuardRefusal {
  constructor(readonly error: unknown) {}
}
