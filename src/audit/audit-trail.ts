/**
 * The audit trail as buildApp wires it: an audit log (in memory unless one is passed in, e.g. a Redis backend),
 * subscribed to the session event bus. The route (audit-routes.ts) reads the same log.
 */
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../logger.js";
import type { SessionEvents } from "../sessions/session-events.js";
import type { SessionStore } from "../sessions/session-store.js";
import type { AuditLog } from "./audit-log.js";
import { MemoryAuditLog } from "./audit-log-memory.js";
import { auditRecorder } from "./audit-recorder.js";

export interface AuditTrailDeps {
  log?: AuditLog | undefined;
  sessions: Pick<SessionStore, "get">;
  clock: Clock;
  logger: Logger;
}

export function subscribeAuditTrail(events: Pick<SessionEvents, "subscribe">, deps: AuditTrailDeps): AuditLog {
  const audit = deps.log ?? new MemoryAuditLog(deps.clock);
  events.subscribe(auditRecorder({ audit, sessions: deps.sessions, logger: deps.logger.child({ component: "audit" }) }));
  return audit;
}
