/**
 * The create-path safeguards of issue 5, built once per app from config: idempotent creates and the attempt budget
 * (lockout). Their stores come from buildApp's overrides when given (a Redis backend, a test's own), else in memory.
 */
import type { AppConfig } from "../config.js";
import type { Clock } from "../lib/clock.js";
import { createLeaseMs, IdempotentCreates } from "./session-idempotency.js";
import type { IdempotencyStore } from "./session-idempotency-store.js";
import { MemoryIdempotencyStore } from "./session-idempotency-store-memory.js";
import { LockoutGuard } from "./session-lockout.js";
import type { LockoutStore } from "./session-lockout-store.js";
import { MemoryLockoutStore } from "./session-lockout-store-memory.js";

export interface SafeguardStores {
  idempotencyStore?: IdempotencyStore;
  lockoutStore?: LockoutStore;
}

export interface SessionSafeguards {
  idempotency: IdempotentCreates;
  lockout: LockoutGuard;
  /** Closes the stores (their sweep timers); buildApp calls it on app close. */
  close(): Promise<void>;
}

export function createSessionSafeguards(config: AppConfig, clock: Clock, stores: SafeguardStores = {}): SessionSafeguards {
  const idempotencyStore = stores.idempotencyStore ?? new MemoryIdempotencyStore(clock);
  const lockoutStore = stores.lockoutStore ?? new MemoryLockoutStore(clock);
  return {
    idempotency: new IdempotentCreates(idempotencyStore, createLeaseMs(config.face)),
    lockout: new LockoutGuard(lockoutStore, config.lockout, clock),
    close: async () => {
      await Promise.all([idempotencyStore.close(), lockoutStore.close()]);
    },
  };
}
