/**
 * Erasure by subject: everything one client holds for one of its subjects goes. Each session of the subject (found
 * through the per-(client, subject) index, every page of it) is deleted at Face while it may still live there, then
 * here with its retained image, its audit trail and its webhook deliveries (pending ones are cancelled: their bodies
 * name the subject), and its idempotency key is forgotten as a DELETE forgets it, so a replay answers 404, never the
 * stored token. A Face deletion that fails leaves a tombstone (no subject, device id, consent or snapshot) that the
 * background loop deletes at Face and then forgets.
 *
 * One receipt is appended to the client's erasure stream in the audit log: when, by whom, how many; the subject only
 * as an HMAC under the state's receipt key, so a repeated request can be matched and the receipt names nobody.
 */
import { createHmac } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { forgetCreatedSession } from "../idempotency/idempotency-creates.js";
import type { Clock } from "../lib/clock.js";
import type { SessionCleanup } from "../sessions/session-cleanup.js";
import { erasureReceiptStream, type ErasureCounts } from "../state/audit-log.js";
import type { State } from "../state/state.js";
import type { SessionListPosition, SessionRecord, SessionStore } from "../state/session-store.js";

const PAGE = 100;

export interface ErasureDeps {
  state: Pick<State, "sessions" | "images" | "idempotency" | "outbox" | "audit" | "receiptKey">;
  cleanup: Pick<SessionCleanup, "deleteAtFaceOnce">;
  clock: Clock;
  /** SESSION_SWEEP_INTERVAL_MS: when the background loop retries a failed Face deletion. */
  retryMs: number;
  /** ERASURE_RECEIPT_RETENTION_DAYS in ms. */
  receiptRetentionMs: number;
}

export interface ErasureCaller {
  clientId: string;
  log: FastifyBaseLogger;
}

/** Every session of the subject, all pages, read before anything is deleted (deleting moves the index under us). */
async function sessionsOf(store: SessionStore, clientId: string, subject: string): Promise<SessionRecord[]> {
  const found: SessionRecord[] = [];
  let after: SessionListPosition | undefined;
  for (;;) {
    const page = await store.listByClient({ clientId, subject, after, limit: PAGE });
    found.push(...page);
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) return found;
    after = { createdAt: last.createdAt, id: last.id };
  }
}

/** What an erased session leaves while Face has yet to confirm: enough to delete it there, nothing about the person. */
function tombstoneOf(record: SessionRecord, dueAt: number): SessionRecord {
  const { id, kind, clientId, enableSessionImage, createdAt, authTokenExpiresAt, expiresAt, lastKnownStatus, lastCheckedAt } = record;
  return { id, kind, clientId, enableSessionImage, createdAt, authTokenExpiresAt, expiresAt, lastKnownStatus, lastCheckedAt, erased: true, faceDeletionDue: true, dueAt };
}

export class SubjectErasure {
  constructor(private readonly deps: ErasureDeps) {}

  async erase(subject: string, caller: ErasureCaller): Promise<ErasureCounts> {
    const { state, clock } = this.deps;
    const counts: ErasureCounts = { sessions: 0, images: 0, faceDeletions: 0, faceDeletionsPending: 0 };
    // Only the caller's own index is read: another client's sessions of the same subject are never found.
    for (const record of await sessionsOf(state.sessions, caller.clientId, subject)) {
      if (record.clientId !== caller.clientId || record.subject !== subject) continue;
      await this.eraseOne(record, caller, counts);
    }
    await this.receipt(subject, caller.clientId, counts, clock.now());
    // Counts only: the subject never reaches a log line.
    caller.log.info({ erased: counts }, "subject erased");
    return counts;
  }

  private async eraseOne(record: SessionRecord, caller: ErasureCaller, counts: ErasureCounts): Promise<void> {
    const { state, clock } = this.deps;
    // Deliveries first, so the worker cannot send the subject once more while the rest goes.
    await state.outbox.deleteBySession(record.id);
    await forgetCreatedSession(state.idempotency, record);
    if (await state.images.delete(record.id)) counts.images += 1;
    let faceConfirmed = record.deletedAtFaceAt !== undefined;
    if (!faceConfirmed) {
      try {
        await this.deps.cleanup.deleteAtFaceOnce(record, { id: caller.clientId, log: caller.log });
        faceConfirmed = true;
        counts.faceDeletions += 1;
      } catch (error) {
        caller.log.warn({ err: error, sessionId: record.id }, "could not delete an erased session at Face; it will be retried");
        counts.faceDeletionsPending += 1;
      }
    }
    // Delete, then (if Face still has it) put the tombstone: the delete drops the subject's index entry with the record.
    await state.sessions.delete(record.id);
    if (!faceConfirmed) await state.sessions.put(tombstoneOf(record, clock.now() + this.deps.retryMs));
    await state.audit.deleteSession(record.id);
    counts.sessions += 1;
  }

  private async receipt(subject: string, clientId: string, counts: ErasureCounts, now: number): Promise<void> {
    const { state, receiptRetentionMs } = this.deps;
    const subjectHmac = createHmac("sha256", state.receiptKey).update(`${clientId}\u0000${subject}`).digest("base64url");
    const at = new Date(now).toISOString();
    await state.audit.append(erasureReceiptStream(clientId), { at, event: "subjectErased", actor: clientId, erased: { ...counts }, subjectHmac }, now + receiptRetentionMs);
  }
}

