/**
 * What happens to a session, as events: the core (session service, watcher, cleanup) emits them; the audit trail and
 * the webhook dispatcher subscribe. Subscribers never hold up or fail the request that caused an event: each one is
 * called after the fact and its errors are logged, not thrown.
 *
 * Events carry no secrets and no biometrics: never an auth token, an image or a key.
 *
 * They live here, beside session-record.ts and for the same reason: their subscribers (audit/, metrics/, webhooks/)
 * hear them without importing the session core.
 */
import type { ConsentEvidence, Decision, DigestCheck } from "./session-record.js";

interface EventBase {
  sessionId: string;
  clientId: string;
  /** epoch ms */
  at: number;
  /** The client id for caller actions, "system" for the background loop and the webhook worker. */
  actor: string;
  /** Face's apim-request-id of the call behind the event, when there was one. */
  faceRequestId?: string;
}

export type SessionEvent =
  | (EventBase & { type: "created"; kind: "liveness" | "livenessWithVerify"; subject?: string; callbackUrl?: string; consent?: ConsentEvidence })
  | (EventBase & { type: "tokenIssued"; authTokenExpiresAt: number })
  | (EventBase & { type: "attemptSeen"; attemptId: number; attemptStatus: string; modelVersion?: string })
  | (EventBase & { type: "decided"; decision: Decision; digestCheck: DigestCheck; modelVersion?: string })
  | (EventBase & { type: "webhookDelivered"; webhookId: string; attempt: number; status: number })
  | (EventBase & { type: "webhookFailed"; webhookId: string; attempt: number; final: boolean; status?: number; error?: string })
  | (EventBase & { type: "deletedAtFace" })
  | (EventBase & { type: "imageRetained"; retainUntil: number })
  | (EventBase & { type: "imageDeleted" });

export type SessionEventListener = (event: SessionEvent) => void | Promise<void>;

export interface SessionEvents {
  emit(event: SessionEvent): void;
  /** Every event, or only those of `types`: a listener that cares for a few is not called for the rest. */
  subscribe(listener: SessionEventListener, types?: ReadonlyArray<SessionEvent["type"]>): void;
}

/**
 * In-process fan-out. emit() returns at once; the listeners run in one microtask after it, each on its own: one that
 * throws or rejects is logged and the others still run. Only the promises listeners return are tracked, so an emit
 * costs one microtask, not a promise chain per listener. `drain()` waits for listeners still running (used on close,
 * and by tests).
 */
export class SessionEventBus implements SessionEvents {
  private readonly listeners: Array<{ listener: SessionEventListener; types: ReadonlySet<string> | undefined }> = [];
  private readonly running = new Set<Promise<void>>();
  /** Emitted events whose listeners have not been called yet. */
  private scheduled = 0;

  constructor(private readonly onListenerError: (error: unknown, event: SessionEvent) => void) {}

  subscribe(listener: SessionEventListener, types?: ReadonlyArray<SessionEvent["type"]>): void {
    this.listeners.push({ listener, types: types && new Set(types) });
  }

  emit(event: SessionEvent): void {
    if (!this.listeners.length) return;
    this.scheduled += 1;
    queueMicrotask(() => {
      this.scheduled -= 1;
      for (const { listener, types } of this.listeners) if (!types || types.has(event.type)) this.call(listener, event);
    });
  }

  async drain(): Promise<void> {
    while (this.running.size || this.scheduled) await Promise.allSettled([...this.running]);
  }

  private call(listener: SessionEventListener, event: SessionEvent): void {
    let result;
    try {
      result = listener(event);
    } catch (error) {
      this.onListenerError(error, event);
      return;
    }
    if (!result) return;
    const run: Promise<void> = result.then(undefined, (error: unknown) => this.onListenerError(error, event)).finally(() => this.running.delete(run));
    this.running.add(run);
  }
}
