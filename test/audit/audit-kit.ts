/** Shared pieces of the audit tests: a stack with its own event bus, and session records planted directly. */
import { randomUUID } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import type { EnvInput } from "../../src/config.js";
import { ManualClock } from "../../src/lib/clock.js";
import { SessionEventBus, type SessionEvent } from "../../src/state/session-events.js";
import type { AuditLog } from "../../src/state/audit-log.js";
import type { MemorySessionStore } from "../../src/state/memory/session-store-memory.js";
import type { SessionRecord } from "../../src/state/session-store.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";

export const HOUR = 60 * 60 * 1000;

export interface AuditStack extends TestStack {
  bus: SessionEventBus;
  listenerErrors: unknown[];
  clock: ManualClock;
  store: MemorySessionStore;
  auditLog: AuditLog;
  /** A session record owned by `clientId`, put straight into the store (no Face call, no emitted events). */
  plantSession(clientId?: string, lifetimeMs?: number): Promise<SessionRecord>;
  readAudit(id: string, client?: "acme" | "globex"): Promise<LightMyRequestResponse>;
}

export async function startAuditStack(options: { auditLog?: AuditLog; clock?: ManualClock; env?: EnvInput } = {}): Promise<AuditStack> {
  const clock = options.clock ?? new ManualClock(Date.now());
  const memory = createMemoryState(clock);
  // A test's own audit log (one that fails, say) stands in for the memory one; the rest of the state is memory.
  const state: State = options.auditLog ? { ...memory, audit: options.auditLog } : memory;
  const store = memory.sessions;
  const auditLog = state.audit;
  // The audit recorder never lets an error reach the bus; tests assert this stays empty.
  const listenerErrors: unknown[] = [];
  const bus = new SessionEventBus((error) => listenerErrors.push(error));
  // No background watcher: events come from the requests a test makes, so the story is deterministic.
  const stack = await startStack({ SESSION_WATCH_INTERVAL_MS: "0", ...options.env }, { events: bus, clock, state });
  return {
    ...stack,
    bus,
    listenerErrors,
    clock,
    store,
    auditLog,
    plantSession: async (clientId = "acme", lifetimeMs = 2 * HOUR) => {
      const now = clock.now();
      const record: SessionRecord = {
        id: randomUUID(),
        kind: "liveness",
        clientId,
        enableSessionImage: false,
        createdAt: now,
        authTokenExpiresAt: now + 10 * 60 * 1000,
        expiresAt: now + lifetimeMs,
        lastKnownStatus: "NotStarted",
        lastCheckedAt: now,
      };
      await store.put(record);
      return record;
    },
    readAudit: (id, client = "acme") => stack.app.inject({ method: "GET", url: `/v1/sessions/${id}/audit`, headers: auth(client) }),
  };
}

/** An event of `type` for `record`, at the stack clock's time, acted on by the owner. */
export function eventFor(record: SessionRecord, clock: ManualClock, event: Record<string, unknown> & { type: SessionEvent["type"] }): SessionEvent {
  return { sessionId: record.id, clientId: record.clientId, at: clock.now(), actor: record.clientId, ...event } as SessionEvent;
}
