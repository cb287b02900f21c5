/**
 * The background worker: claims due deliveries from the outbox, sends each one signed, records the attempt and
 * what follows (delivered, a retry at a later due time, or a final failure), and tells the session's subscribers.
 * Sends run at most `concurrency` at a time, and at most `maxInFlightPerClient` per client across every instance
 * (the outbox counts them), served round-robin between clients: a client whose receiver hangs holds its own slots
 * only, and never the pass. Passes never overlap within an instance (each one waits for the one before), so runDue()
 * after a clock move is deterministic for tests; a kick or a poll during a pass wakes that pass instead, so what
 * became due is claimed at once rather than after the attempts under way. Across instances, leases keep them apart.
 */
import type { FastifyBaseLogger } from "fastify";
import { performance } from "node:perf_hooks";
import type { Clock } from "../lib/clock.js";
import type { RunObserver } from "../lib/periodic-task.js";
import type { SessionEvents } from "../state/session-events.js";
import type { DeliveryAttempt, DeliveryClaim, WebhookOutbox } from "../state/webhook-outbox.js";
import { nextStep, type SendResult } from "./webhook-retry.js";
import type { WebhookSender } from "./webhook-sender.js";
import { deliveryHeaders } from "./webhook-signature.js";
import { loggableUrl } from "./webhook-url.js";

/** The least time between two warn lines about one delivery's failed attempts. */
const WARN_INTERVAL_MS = 60_000;

export interface WebhookWorkerOptions {
  outbox: WebhookOutbox;
  send: WebhookSender;
  /** Current signing secrets, newest first. */
  secrets: () => string[];
  clock: Clock;
  events: SessionEvents;
  logger: FastifyBaseLogger;
  concurrency: number;
  /** Attempts one client may have under way at once, over all instances (WEBHOOK_MAX_IN_FLIGHT_PER_CLIENT). */
  maxInFlightPerClient?: number;
  /** Per-attempt timeout; the claim's lease outlasts it so a live attempt is never taken over. */
  timeoutMs: number;
  userAgent: string;
  pollIntervalMs?: number;
  random?: () => number;
  /** Told of every pass over the outbox (metrics). */
  onPass?: RunObserver | undefined;
}

export const DEFAULT_POLL_INTERVAL_MS = 1000;
/**
 * What a claim outlasts its attempt's timeout by (the timeout covers the DNS lookup, the connection and the answer;
 * the margin the signing and the recording). With WEBHOOK_TIMEOUT_MS at most 20 s and a poll each second, a
 * replica that dies mid-attempt has the delivery retried by another within 26 s.
 */
export const LEASE_MARGIN_MS = 5_000;

export class WebhookWorker {
  private pass: Promise<number> = Promise.resolve(0);
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  /** Passes queued or running: while there is one, a kick wakes it rather than queueing another. */
  private passes = 0;
  /** Counts kicks, so a pass can tell whether one came while it was claiming. */
  private kicks = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly o: WebhookWorkerOptions) {}

  start(): void {
    this.started = true;
    this.schedule();
  }

  /** Claims nothing new, and waits for attempts under way (each at most timeoutMs) so their results are recorded. */
  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /** Sends everything due now (by the injected clock) and resolves when those attempts are recorded. */
  runDue(): Promise<number> {
    this.passes += 1;
    const next = this.pass.then(() => this.drain()).finally(() => (this.passes -= 1));
    this.pass = next.catch(() => 0);
    return next;
  }

  /** Something became due (a new event, a redelivery, the poll): look now rather than after the pass under way. */
  kick(): void {
    if (!this.started || this.closed) return;
    this.kicks += 1;
    if (this.passes > 0) this.wake?.();
    else void this.runDue();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.kick();
      this.schedule();
    }, this.o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    // The poll must never keep a process alive that is otherwise done.
    this.timer.unref();
  }

  /** Resolves at the next kick. */
  private nextKick(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private async drain(): Promise<number> {
    const { outbox, concurrency, timeoutMs, logger, maxInFlightPerClient } = this.o;
    const running = new Set<Promise<void>>();
    const claimOptions = maxInFlightPerClient === undefined ? {} : { maxInFlightPerClient };
    let started = 0;
    const startedAt = performance.now();
    let failed = false;
    try {
      for (;;) {
        const kicks = this.kicks;
        const free = concurrency - running.size;
        const claims = free > 0 && !this.closed ? await outbox.claimDue(free, timeoutMs + LEASE_MARGIN_MS, claimOptions) : [];
        for (const claim of claims) {
          const run: Promise<void> = this.attemptSafely(claim).finally(() => running.delete(run));
          running.add(run);
          started += 1;
        }
        // A kick while claiming may have found nothing to wake: claim again before waiting or ending.
        if (this.kicks !== kicks && !this.closed) continue;
        if (running.size === 0) return started;
        // Wait for a free slot; with slots free but nothing claimable (every due client at its cap, or nothing due),
        // a kick also ends the wait, so a healthy client's event is not held behind another's hanging attempts.
        if (running.size >= concurrency) await Promise.race(running);
        else if (claims.length === 0) await Promise.race([...running, this.nextKick()]);
      }
    } catch (error) {
      logger.error({ err: error }, "webhook outbox unavailable; the next poll retries");
      failed = true;
      await Promise.allSettled(running);
      return started;
    } finally {
      this.o.onPass?.(performance.now() - startedAt, failed);
    }
  }

  /**
   * Never rejects: a rejection could land while the pass awaits a claim, unobserved. If recording fails, the lease
   * lapses and the attempt is made again (at least once).
   */
  private async attemptSafely(claim: DeliveryClaim): Promise<void> {
    try {
      await this.attempt(claim);
    } catch (error) {
      this.o.logger.error({ err: error, webhookId: claim.delivery.webhookId, attempt: claim.attempt }, "webhook attempt could not be recorded; it is retried after its lease");
    }
  }

  private async attempt({ delivery, attempt, lease }: DeliveryClaim): Promise<void> {
    const { clock, outbox, logger } = this.o;
    const at = clock.now();
    const result = await this.send(delivery.url, delivery.body, delivery.webhookId, attempt);
    // Only the latest attempts are kept; the count still reaches the backoff's cap (10 steps) long before the cap on
    // kept attempts (MAX_KEPT_ATTEMPTS), so the schedule is the same.
    const attemptInSeries = delivery.attempts.filter((a) => a.series === delivery.series).length + 1;
    const step = nextStep(result, { now: clock.now(), seriesStartedAt: delivery.seriesStartedAt, attemptInSeries, ...(this.o.random && { random: this.o.random }) });
    const error = [result.error, step.note].filter(Boolean).join("; ") || undefined;
    const record: DeliveryAttempt = { attempt, series: delivery.series, at, final: step.state !== "pending" };
    if (result.statusCode !== undefined) record.statusCode = result.statusCode;
    if (error) record.error = error;
    if (step.dueAt !== undefined) record.nextAttemptAt = step.dueAt;

    const log = logger.child({ webhookId: delivery.webhookId, sessionId: delivery.sessionId, attempt, target: loggableUrl(delivery.url) });
    if (!(await outbox.record(delivery.webhookId, lease, { attempt: record, state: step.state, ...(step.dueAt !== undefined && { dueAt: step.dueAt }) }))) {
      // Our lease lapsed and another instance took the delivery over; its result is the one that counts.
      log.warn("webhook attempt finished after its lease lapsed; result dropped");
      return;
    }
    const base = { sessionId: delivery.sessionId, clientId: delivery.clientId, at: clock.now(), actor: "system", webhookId: delivery.webhookId, attempt };
    if (step.state === "delivered") {
      log.info({ statusCode: result.statusCode }, "webhook delivered");
      this.o.events.emit({ ...base, type: "webhookDelivered", status: result.statusCode ?? 0 });
      return;
    }
    const final = step.state === "failed";
    // One warn line for a series' first failure, then at most one a minute (the backoff's early steps come faster),
    // each with the count so far: a receiver that is down must not fill the logs at warn. The rest go at debug.
    const previous = delivery.attempts.at(-1);
    const level = final ? "error" : attemptInSeries === 1 || previous === undefined || at - previous.at >= WARN_INTERVAL_MS ? "warn" : "debug";
    log[level](
      {
        statusCode: result.statusCode,
        error,
        failedAttempts: (delivery.attemptCount ?? delivery.attempts.length) + 1,
        ...(step.dueAt !== undefined && { nextAttemptAt: new Date(step.dueAt).toISOString() }),
      },
      final ? "webhook failed for good" : "webhook attempt failed; will retry",
    );
    this.o.events.emit({
      ...base,
      type: "webhookFailed",
      final,
      ...(result.statusCode !== undefined && { status: result.statusCode }),
      ...(error && { error }),
    });
  }

  private async send(url: string, body: string, webhookId: string, attempt: number): Promise<SendResult> {
    const secrets = this.o.secrets();
    // Retried rather than final: a secret missing from Key Vault for a moment should not lose the event.
    if (!secrets.length) return { error: "no webhook signing secret is configured" };
    const timestampSeconds = Math.floor(this.o.clock.now() / 1000);
    return this.o.send({ url, body, headers: deliveryHeaders({ secrets, webhookId, attempt, timestampSeconds, body, userAgent: this.o.userAgent }) });
  }
}
