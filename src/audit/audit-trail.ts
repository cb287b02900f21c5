/**
 * The audit trail as buildApp wires it: the state's audit log, subscribed to the session event bus. The route
 * (audit-routes.ts) reads the same log.
 */
import type { Logger } from "../logger.js";
import type { SessionEvents } from "../state/session-events.js";
import type { AuditLog } from "../state/audit-log.js";
import type { SessionStore } from "../state/session-store.js";
import { auditRecorder } from "./audit-recorder.js";

export interface AuditTrailDeps {
  audit: AuditLog;
  sessions: Pick<SessionStore, "get">;
  logger: Logger;
}

export function subscribeAuditTrail(events: Pick<SessionEvents, "subscribe">, deps: AuditTrailDeps): void {
  events.subscribe(auditRecorder({ audit: deps.audit, sessions: deps.sessions, logger: deps.logger.child({ component: "audit" }) }));
}
