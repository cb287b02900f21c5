/**
 * The in-process state: right for one instance and for tests. Every store reads the one injected clock (rate
 * limits excepted: their windows follow the wall clock, as Redis' do); one unref'd timer sweeps
 * what expired, so memory stays bounded by live data. close() stops that timer and forgets
 * the secrets and biometrics held (idempotent responses, images); it may be called more than once.
 */
import { randomBytes } from "node:crypto";
import { systemClock, type Clock } from "../lib/clock.js";
import { MemoryAuditLog } from "./memory/audit-log-memory.js";
import { MemoryIdempotencyStore } from "./memory/idempotency-store-memory.js";
import { MemoryImageStore } from "./memory/image-store-memory.js";
import { MemoryLeaseStore } from "./memory/lease-store-memory.js";
import { MemoryLockoutStore } from "./memory/lockout-store-memory.js";
import { MemoryRateLimitStore } from "./memory/rate-limit-store-memory.js";
import { MemoryQuotaBucket } from "./memory/quota-bucket-memory.js";
import { MemorySessionStore } from "./memory/session-store-memory.js";
import { MemorySignalBus } from "./memory/signal-bus-memory.js";
import { MemoryWebhookOutbox } from "./memory/webhook-outbox-memory.js";
import type { State } from "./state.js";

const SWEEP_INTERVAL_MS = 60_000;

/** The memory backend's stores by their concrete types, for tests that look inside (sweep, size). */
export interface MemoryState extends State {
  readonly backend: "memory";
  sessions: MemorySessionStore;
  idempotency: MemoryIdempotencyStore;
  lockout: MemoryLockoutStore;
  rateLimits: MemoryRateLimitStore;
  outbox: MemoryWebhookOutbox;
  audit: MemoryAuditLog;
  images: MemoryImageStore;
  leases: MemoryLeaseStore;
  signals: MemorySignalBus;
  quota: MemoryQuotaBucket;
  /** Drops everything expired from every store (the timer does it every minute). */
  sweep(): void;
}

export interface MemoryStateOptions {
  /** The Face quota's clock: real time by default, whatever `clock` is (see quota-bucket.ts). */
  quotaClock?: Clock;
}

export function createMemoryState(clock: Clock, options: MemoryStateOptions = {}): MemoryState {
  const state: MemoryState = {
    backend: "memory",
    sessions: new MemorySessionStore(clock),
    idempotency: new MemoryIdempotencyStore(clock),
    lockout: new MemoryLockoutStore(clock),
    rateLimits: new MemoryRateLimitStore(),
    outbox: new MemoryWebhookOutbox(clock),
    audit: new MemoryAuditLog(clock),
    images: new MemoryImageStore(clock),
    leases: new MemoryLeaseStore(clock),
    signals: new MemorySignalBus(),
    quota: new MemoryQuotaBucket(options.quotaClock ?? systemClock),
    receiptKey: randomBytes(32),
    sweep: () => {
      for (const store of [state.sessions, state.idempotency, state.lockout, state.outbox, state.audit, state.rateLimits]) store.sweep();
    },
    ping: async () => undefined,
    close: async () => {
      clearInterval(timer);
      state.idempotency.clear();
      state.images.clear();
      state.signals.clear();
    },
  };
  const timer = setInterval(() => state.sweep(), SWEEP_INTERVAL_MS);
  // The sweep must never keep a process alive that is otherwise done.
  timer.unref();
  return state;
}
