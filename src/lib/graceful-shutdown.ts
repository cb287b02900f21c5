/**
 * The order of a graceful shutdown, kept apart from the signals so it can be read (and reasoned about) alone:
 *
 * 1. drain(): the replica turns not ready at once (/readyz 503), while it keeps serving;
 * 2. wait `drainDelayMs`, so load balancers notice and stop sending (they probe every few seconds);
 * 3. close(): stop accepting, answer waiting long-polls with the current view, let in-flight requests and webhook
 *    attempts finish, then close the state last (app.close() does all of it, in that order);
 * 4. the rest (`after`: the metrics port, the embedded emulator), then exit 0 (1 when a step failed).
 *
 * The whole of it must end within `timeoutMs`, or the process exits 1; a second signal exits 1 at once (an impatient
 * Ctrl-C). A step that fails is logged and the next one still runs.
 */
export interface ShutdownLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShutdownPlan {
  drain(): void;
  drainDelayMs: number;
  timeoutMs: number;
  close(): Promise<void>;
  after?: ReadonlyArray<() => Promise<unknown>>;
  log: ShutdownLog;
  exit(code: number): void;
}

export function gracefulShutdown(plan: ShutdownPlan): (signal: string, options?: { skipDrainDelay?: boolean }) => void {
  let started = false;
  return (signal, options = {}) => {
    if (started) {
      plan.log.error({ signal }, "second signal during shutdown; exiting now");
      plan.exit(1);
      return;
    }
    started = true;
    const delayMs = options.skipDrainDelay ? 0 : plan.drainDelayMs;
    const force = setTimeout(() => {
      plan.log.error({ timeoutMs: plan.timeoutMs }, "shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting");
      plan.exit(1);
    }, plan.timeoutMs);
    force.unref();
    plan.drain();
    plan.log.info({ signal, drainDelayMs: delayMs }, "shutting down: not ready from now on; still serving until the drain delay ends");
    void (async () => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      plan.log.info({}, "drain delay over: no new connections; finishing requests, long-polls and webhook attempts under way");
      let failed = false;
      for (const step of [plan.close, ...(plan.after ?? [])]) {
        try {
          await step();
        } catch (error) {
          failed = true;
          plan.log.error({ err: error }, "a shutdown step failed; going on");
        }
      }
      clearTimeout(force);
      plan.log.info({ failed }, "shutdown complete");
      plan.exit(failed ? 1 : 0);
    })();
  };
}
