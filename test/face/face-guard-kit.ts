/**
 * Fixtures for the quota guard's unit tests: virtual time (a Clock plus a Sleep the test advances by hand), a
 * scripted FaceGateway stub, and a logger whose lines land in memory.
 */

import type { FastifyBaseLogger } from "fastify";
import { CapturedLogs } from "../helpers/captured-logs.js";

import { AppError, type ErrorCode } from "../../src/errors.js";
import type { FaceGateway, FaceReply, FaceSession } from "../../src/face/face-gateway.js";
import type { GuardOperation, Sleep } from "../../src/face/face-guard-policy.js";
import type { GateQuota } from "../../src/face/face-guard-gate.js";
import type { Clock } from "../../src/lib/clock.js";
import { MemoryQuotaBucket } from "../../src/state/memory/quota-bucket-memory.js";

/** Lets every promise chain that is ready run to its next wait. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Timer {
  at: number;
  resolve(): void;
}

export class VirtualTime implements Clock {
  private current = Date.parse("2026-01-01T00:00:00.000Z");
  private timers: Timer[] = [];

  now(): number {
    return this.current;
  }

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer: Timer = { at: this.current + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener("abort", () => this.fire(timer), { once: true });
    });

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order and letting promise chains settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      this.fire(due);
    }
    this.current = end;
    await flush();
  }

  /** Advances in small steps until `promise` settles (at most `limitMs` of virtual time); returns its result. */
  async run<T>(promise: Promise<T>, limitMs = 60_000): Promise<PromiseSettledResult<T>> {
    let result: PromiseSettledResult<T> | undefined;
    promise.then(
      (value) => (result = { status: "fulfilled", value }),
      (reason: unknown) => (result = { status: "rejected", reason }),
    );
    for (let spent = 0; result === undefined && spent <= limitMs; spent += 10) await this.advance(10);
    if (!result) throw new Error(`still pending after ${limitMs} ms of virtual time`);
    return result;
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    timer.resolve();
  }
}

export const appError = (code: ErrorCode, retryAfterSeconds?: number) =>
  new AppError(code, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

/** One scripted answer: an error to throw, or a function that produces the answer (e.g. a promise held open). */
export type Step = AppError | (() => Promise<unknown>);

const session = (sessionId: string): FaceSession => ({ sessionId, kind: "liveness", authToken: "token", status: "NotStarted", attempts: [] });

/** A FaceGateway whose answers are scripted per operation: scripted steps first, then the fallback (success by default). */
export class FakeFace implements FaceGateway {
  readonly calls: Array<{ operation: GuardOperation; arg?: string }> = [];
  private readonly scripts = new Map<GuardOperation, Step[]>();
  private readonly fallbacks = new Map<GuardOperation, Step>();

  script(operation: GuardOperation, ...steps: Step[]): this {
    this.scripts.set(operation, [...(this.scripts.get(operation) ?? []), ...steps]);
    return this;
  }

  always(operation: GuardOperation, step: Step): this {
    this.fallbacks.set(operation, step);
    return this;
  }

  count(operation: GuardOperation): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }

  createLivenessSession = () => this.answer("createLivenessSession", undefined, { value: session("created") });
  createLivenessWithVerifySession = () => this.answer("createLivenessWithVerifySession", undefined, { value: session("created") });
  getSession = (_kind: unknown, sessionId: string) => this.answer("getSession", sessionId, { value: session(sessionId) });
  deleteSession = (_kind: unknown, sessionId: string) => this.answer<void>("deleteSession", sessionId, { value: undefined });
  getSessionImage = (imageId: string) => this.answer("getSessionImage", imageId, { value: new Uint8Array([1]) });
  probe = async () => {
    await this.answer("probe", undefined, { value: undefined });
  };

  private async answer<T>(operation: GuardOperation, arg: string | undefined, ok: FaceReply<T>): Promise<FaceReply<T>> {
    this.calls.push(arg === undefined ? { operation } : { operation, arg });
    const step = this.scripts.get(operation)?.shift() ?? this.fallbacks.get(operation);
    if (step instanceof AppError) throw step;
    if (step) return (await step()) as FaceReply<T>;
    return ok;
  }
}

/** A promise the test resolves or rejects when it chooses: a Face call held in flight. */
export function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function memoryLogger(): { logger: FastifyBaseLogger; lines(): Array<Record<string, unknown>> } {
  const logs = new CapturedLogs();
  return { logger: logs.logger("debug", { redact: false }), lines: () => logs.records() };
}

/** The settled reason as an AppError, for assertions on code and retryAfterSeconds. */
export function rejection(result: PromiseSettledResult<unknown>): AppError {
  if (result.status !== "rejected" || !(result.reason instanceof AppError)) throw new Error(`expected an AppError, got ${JSON.stringify(result)}`);
  return result.reason;
}

/** A quota of its own on `clock`: the in-process bucket, as the memory state holds it. */
export function quotaOn(clock: Clock, resource = "face.example.test"): GateQuota {
  return { bucket: new MemoryQuotaBucket(clock), resource };
}
