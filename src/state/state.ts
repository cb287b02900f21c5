/**
 * The one state layer: every store the service keeps, behind interfaces that a memory backend (one instance,
 * tests) and a Redis backend (replicas sharing state) both implement. Whoever creates a State owns it: close()
 * closes every store and connection it opened, and nothing else closes them.
 */
import type { AuditLog } from "./audit-log.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import type { ImageStore } from "./image-store.js";
import type { LeaseStore } from "./lease-store.js";
import type { LockoutStore } from "./lockout-store.js";
import type { QuotaBucket } from "./quota-bucket.js";
import type { RateLimitStore } from "./rate-limit-store.js";
import type { SessionStore } from "./session-store.js";
import type { SignalBus } from "./signal-bus.js";
import type { WebhookOutbox } from "./webhook-outbox.js";

export type StateBackend = "memory" | "redis";

export interface State {
  readonly backend: StateBackend;
  sessions: SessionStore;
  idempotency: IdempotencyStore;
  lockout: LockoutStore;
  rateLimits: RateLimitStore;
  /** Webhook deliveries and their attempt log. */
  outbox: WebhookOutbox;
  audit: AuditLog;
  images: ImageStore;
  leases: LeaseStore;
  signals: SignalBus;
  /** Face's quota, one token bucket per Face resource shared by every replica (real time unless told otherwise). */
  quota: QuotaBucket;
  /**
   * The key erasure receipts HMAC the subject with, so a repeated erasure can be matched without the receipt
   * holding the subject. Redis: derived from the newest STATE_ENCRYPTION_KEY (stable across replicas and
   * restarts); memory: random per process.
   */
  readonly receiptKey: Uint8Array;
  /** Resolves when the backend answers; rejects when it is unreachable (readiness). */
  ping(): Promise<void>;
  /** Closes every store and connection the state opened (it owns them all). */
  close(): Promise<void>;
}

export type { AuditEntry, AuditEventType, AuditLog } from "./audit-log.js";
export type { ClaimResult, IdempotencyEntry, IdempotencyStore, StoredResponse } from "./idempotency-store.js";
export type { DueImage, ImageStore, RetainedImage } from "./image-store.js";
export type { LeaseStore } from "./lease-store.js";
export type { LockoutRule, LockoutState, LockoutStore } from "./lockout-store.js";
export type { QuotaBucket, QuotaGrant, QuotaLane, QuotaPause } from "./quota-bucket.js";
export type { RateLimitStore, RateLimitVerdict } from "./rate-limit-store.js";
export type { AttemptSnapshot, Decision, DecisionOutcome, DecisionReason, DigestCheck, SessionSnapshot } from "./session-record.js";
export type { ClaimFence, SessionListPosition, SessionListQuery, SessionRecord, SessionRecordPatch, SessionStore, Settlement } from "./session-store.js";
export type { SignalBus } from "./signal-bus.js";
export type { AttemptResult, DeliveryAttempt, DeliveryClaim, DeliveryState, RestartResult, WebhookDelivery, WebhookOutbox } from "./webhook-outbox.js";
