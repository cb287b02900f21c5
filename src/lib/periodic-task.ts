import { performance } from "node:perf_hooks";

/** Told of each finished run of a background loop: how long it took, and whether it failed (metrics). */
export type RunObserver = (durationMs: number, failed: boolean) => void;

/** Runs `run`, telling `observer` how it went; the outcome itself passes through unchanged. */
export async function observedRun(run: () => Promise<void>, observer: RunObserver | undefined): Promise<void> {
  const started = performance.now();
  try {
    await run();
    observer?.(performance.now() - started, false);
  } catch (error) {
    observer?.(performance.now() - started, true);
    throw error;
  }
}

/**
 * A job run on an interval, never overlapping itself: a slow run (Face pacing, a big store) is not stacked on by the
 * next tick. The timer never keeps the process alive, and `stop()` waits for the run in progress to finish.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.run()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
