/**
 * The in-process session store. Expired records are dropped lazily on read and by the state's periodic sweep, so
 * memory stays bounded by the live sessions. Every method reads and writes with no await in between: in one
 * process that is what makes settle, markOutcomeCounted and claimDue atomic.
 */
import type { Clock } from "../../lib/clock.js";
import {
  holdsLiveSlot,
  type ClaimFence,
  type LiveAdmission,
  type ReadOptions,
  type SessionListQuery,
  type SessionRecord,
  type SessionRecordPatch,
  type SessionStore,
  type Settlement,
} from "../session-store.js";
import { clonePlain } from "../../lib/plain-copy.js";
import { DueIndex } from "./due-index.js";
import { LiveSessionIndex } from "./live-session-index.js";
import { SessionListIndex } from "./session-list-index.js";

/**
 * Every read copies (callers must not reach the stored record) unless it asks for a read-only record: structuredClone
 * cost a settled GET about a tenth of its CPU, hence the plain walk.
 */
const copy = (record: SessionRecord): SessionRecord => clonePlain(record);

/**
 * Stored records are frozen, nested values too, so the one a read-only get hands out cannot be changed by its reader
 * (a change throws). Writes build new records by spreading the stored one: the parts they share are frozen already.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

/** clonePlain and deepFreeze in one walk: a put's copy is frozen as it is made, not walked a second time to freeze. */
function frozenCopy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return deepFreeze(structuredClone(value));
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = frozenCopy((value as Record<string, unknown>)[key]);
  return Object.freeze(out) as T;
}

export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private readonly due = new DueIndex((id) => this.records.get(id)?.dueAt);
  /** Per client and per (client, subject), by createdAt: listByClient reads a page, never every record. */
  private readonly listed = new SessionListIndex();
  /** Per client, the records and create tickets holding a slot of the live-session cap. */
  private readonly liveSlots = new LiveSessionIndex();

  constructor(private readonly clock: Clock) {}

  async put(record: SessionRecord, options?: { releaseLive?: string }): Promise<void> {
    // A put may replace a record: its old index entries go first (its subject or createdAt may differ).
    const previous = this.records.get(record.id);
    if (previous) this.listed.remove(previous);
    this.listed.add(this.write(frozenCopy(record)));
    if (holdsLiveSlot(record, this.clock.now())) this.liveSlots.hold(record.clientId, record.id, record.authTokenExpiresAt);
    else this.liveSlots.release(record.clientId, record.id);
    if (options?.releaseLive !== undefined) this.liveSlots.release(record.clientId, ticketMember(options.releaseLive));
  }

  async get(id: string, options?: ReadOptions): Promise<SessionRecord | undefined> {
    const record = this.live(id);
    return record && (options?.readOnly ? record : copy(record));
  }

  async update(id: string, patch: SessionRecordPatch, fence?: ClaimFence): Promise<SessionRecord | undefined> {
    const current = this.live(id);
    if (!current || (fence && current.claim !== fence.claim)) return undefined;
    return copy(this.write(applyPatch(current, patch)));
  }

  async markOutcomeCounted(id: string, at: number): Promise<boolean> {
    const current = this.live(id);
    if (!current || current.outcomeCountedAt !== undefined) return false;
    this.records.set(id, Object.freeze({ ...current, outcomeCountedAt: at }));
    return true;
  }

  async settle(id: string, settlement: Settlement, patch: SessionRecordPatch = {}): Promise<SessionRecord | undefined> {
    const current = this.live(id);
    if (!current || current.decision !== undefined) return undefined;
    const { outcomeCountedAt, ...decided } = structuredClone(settlement);
    const next: SessionRecord = { ...applyPatch(current, patch), ...decided };
    if (current.outcomeCountedAt === undefined && outcomeCountedAt !== undefined) next.outcomeCountedAt = outcomeCountedAt;
    this.liveSlots.release(current.clientId, id);
    return copy(this.write(next));
  }

  async claimDue(limit: number, leaseMs: number): Promise<SessionRecord[]> {
    const now = this.clock.now();
    const claimed: SessionRecord[] = [];
    for (const id of this.due.takeDue(now, limit)) {
      const current = this.live(id);
      if (current) claimed.push(copy(this.write({ ...current, dueAt: now + leaseMs, claim: (current.claim ?? 0) + 1 })));
    }
    return claimed;
  }

  async listByClient(query: SessionListQuery): Promise<SessionRecord[]> {
    const page: SessionRecord[] = [];
    for (const id of this.listed.walk(query)) {
      if (page.length >= query.limit) break;
      // live() drops an expired record and its index entry; the walk goes downwards, so the entries still ahead of
      // it (below the removed one) keep their places.
      const record = this.live(id);
      if (record) page.push(copy(record));
    }
    return page;
  }

  async delete(id: string): Promise<boolean> {
    const record = this.records.get(id);
    if (!record) return false;
    this.forget(record);
    return true;
  }

  async admitLive(clientId: string, ticket: string, max: number, holdUntil: number): Promise<LiveAdmission> {
    return this.liveSlots.admit(clientId, ticketMember(ticket), max, holdUntil, this.clock.now());
  }

  async releaseLive(clientId: string, ticket: string): Promise<void> {
    this.liveSlots.release(clientId, ticketMember(ticket));
  }

  async countLive(clientId: string): Promise<number> {
    return this.liveSlots.count(clientId, this.clock.now());
  }

  /** Removes every expired record; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const record of this.records.values()) {
      if (record.expiresAt <= now) {
        this.forget(record);
        removed += 1;
      }
    }
    this.due.compact(this.records.size);
    return removed;
  }

  clear(): void {
    this.records.clear();
    this.due.clear();
    this.listed.clear();
    this.liveSlots.clear();
  }

  /** Stores the record and indexes its due time when that changed. */
  private write(record: SessionRecord): SessionRecord {
    const before = this.records.get(record.id)?.dueAt;
    this.records.set(record.id, deepFreeze(record));
    if (record.dueAt !== undefined && record.dueAt !== before) this.due.push(record.id, record.dueAt);
    return record;
  }

  /** The stored record itself (not a copy), unless absent or expired. */
  private live(id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    if (record && record.expiresAt <= this.clock.now()) {
      this.forget(record);
      return undefined;
    }
    return record;
  }

  private forget(record: SessionRecord): void {
    this.records.delete(record.id);
    this.listed.remove(record);
    this.liveSlots.release(record.clientId, record.id);
  }
}

/** Tickets and session ids share the index: a ticket's member can never equal a session id. */
const ticketMember = (ticket: string) => `ticket:${ticket}`;

function applyPatch(record: SessionRecord, patch: SessionRecordPatch): SessionRecord {
  const { dueAt, ...fields } = structuredClone(patch);
  const next: SessionRecord = { ...record, ...fields };
  if (dueAt === null) delete next.dueAt;
  else if (dueAt !== undefined) next.dueAt = dueAt;
  return next;
}
