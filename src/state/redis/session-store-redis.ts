/**
 * Session records in Redis: one hash per record (a field per property, each JSON-encoded) and one ZSET of dueAt
 * for background work, both under the {sessions} hash tag so a script can move a record and its index entry
 * together. A record's key expires with the record (expiresAt); the index lives as long as its longest-lived member,
 * and claimDue drops members whose record is gone.
 *
 * Every write that checks something first (update on a live record, settle once, count an outcome once, claim)
 * is one script, so two replicas never interleave a read and a write. The callback URL is sealed (AES-256-GCM) as
 * the outbox seals its copy: its query may carry the receiver's token.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../../lib/clock.js";
import {
  holdsLiveSlot,
  type ClaimFence,
  type LiveAdmission,
  type SessionListQuery,
  type SessionRecord,
  type SessionRecordPatch,
  type SessionStore,
  type Settlement,
} from "../session-store.js";
import type { StateCipher } from "../state-crypto.js";
import type { RedisKeys } from "./redis-keys.js";
import { sessionRecordSchema } from "./redis-record-schemas.js";
import { defineScript, EXPIRY_GRACE_MS, pairsToObject, type ScriptArg } from "./redis-scripts.js";
import { positionsAfter } from "./session-list-index-redis.js";

/**
 * Applies a patch to a live record (expiresAt > now) unless its guard field is set already, and, with a fence,
 * only while the record's claim is the fence's; answers the record after the write, or nil when nothing was written.
 * With a third key (the client's live-session ZSET: settle passes it), the record leaves it in the same write.
 * KEYS: record, due[, live]. ARGV: now, id, guard ('' for none), dueMode ('keep' | 'set' | 'clear'), due, nSet, nSetNx,
 * fence ('' for none), then nSet field/value pairs to set, nSetNx pairs to set only where absent, then the fields to
 * delete.
 */
const PATCH = `
local rec, due = KEYS[1], KEYS[2]
local now, id, guard, dueMode, dueAt, fence = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[8]
local setEnd = 9 + 2 * tonumber(ARGV[6])
local nxEnd = setEnd + 2 * tonumber(ARGV[7])
local exp = tonumber(redis.call('HGET', rec, 'expiresAt'))
if not exp or exp <= now then return nil end
if guard ~= '' and redis.call('HEXISTS', rec, guard) == 1 then return nil end
if fence ~= '' and redis.call('HGET', rec, 'claim') ~= fence then return nil end
for i = 9, setEnd - 1, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
for i = setEnd, nxEnd - 1, 2 do redis.call('HSETNX', rec, ARGV[i], ARGV[i + 1]) end
for i = nxEnd, #ARGV do redis.call('HDEL', rec, ARGV[i]) end
if dueMode == 'set' then redis.call('ZADD', due, dueAt, id) elseif dueMode == 'clear' then redis.call('ZREM', due, id) end
if KEYS[3] then redis.call('ZREM', KEYS[3], id) end
local ttl = tonumber(redis.call('HGET', rec, 'expiresAt')) - now
if ttl <= 0 then redis.call('DEL', rec) return nil end
expire(rec, ttl)
bump(due, ttl)
return redis.call('HGETALL', rec)
`;

/**
 * Takes up to `limit` live records due at `now`, earliest first, moving each one's dueAt (field and score) to
 * now + lease and counting the claim (the worker's fencing token). Members whose record is gone or lapsed are
 * dropped from the index on the way.
 * KEYS: due. ARGV: now, limit, leaseMs, record key prefix.
 */
const CLAIM_DUE = `
local due = KEYS[1]
local now, limit, lease, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local claimed = {}
while #claimed < limit do
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit - #claimed)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local rec = prefix .. id
    local exp = tonumber(redis.call('HGET', rec, 'expiresAt'))
    if exp and exp > now then
      redis.call('HSET', rec, 'dueAt', now + lease)
      redis.call('HINCRBY', rec, 'claim', 1)
      redis.call('ZADD', due, now + lease, id)
      claimed[#claimed + 1] = redis.call('HGETALL', rec)
    else
      redis.call('ZREM', due, id)
    end
  end
end
return claimed
`;

/**
 * Takes a live-session slot for a create ticket unless the client holds `max` already; members whose time has come
 * (a lapsed token, a ticket's hold) are dropped first. Answers {1} when admitted, else {0, the earliest score left}.
 * KEYS: live. ARGV: now, ticket member, max, holdUntil.
 */
const ADMIT_LIVE = `
local live = KEYS[1]
local now, ticket, max, hold = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', live, '-inf', now)
if redis.call('ZCARD', live) >= max then
  return {0, redis.call('ZRANGE', live, 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', live, hold, ticket)
bump(live, hold - now)
return {1}
`;

/** Every property as its own field, JSON-encoded; undefined properties are no field at all. */
function fieldsOf(values: Record<string, unknown>): { set: string[]; del: string[] } {
  const set: string[] = [];
  const del: string[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined) del.push(field);
    else set.push(field, JSON.stringify(value));
  }
  return { set, del };
}


export class RedisSessionStore implements SessionStore {
  private readonly patchScript;
  private readonly claimScript;
  private readonly admitScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: StateCipher,
    private readonly clock: Clock,
  ) {
    this.patchScript = defineScript(redis, PATCH);
    this.claimScript = defineScript(redis, CLAIM_DUE);
    this.admitScript = defineScript(redis, ADMIT_LIVE);
  }

  async put(record: SessionRecord, options?: { releaseLive?: string }): Promise<void> {
    const now = this.clock.now();
    const key = this.keys.sessions.record(record.id);
    const { due } = this.keys.sessions;
    const member = this.keys.sessions.member(record.id);
    const ttl = record.expiresAt - now;
    const { callbackUrl, ...plain } = record;
    const sealed = callbackUrl === undefined ? {} : { callbackUrl: this.cipher.sealText(callbackUrl, callbackContext(record.id)) };
    const { set } = fieldsOf({ ...plain, ...sealed });
    // A put may replace a record: its old list entries go first (its subject may differ).
    const previous = await this.indexedAs(record.id);
    const tx = this.redis.multi().del(key);
    if (previous) for (const index of [...this.listIndexes(previous), this.keys.sessions.live(previous.clientId)]) tx.zrem(index, member);
    const live = this.keys.sessions.live(record.clientId);
    if (holdsLiveSlot(record, now)) {
      const held = record.authTokenExpiresAt - now + EXPIRY_GRACE_MS;
      tx.zadd(live, record.authTokenExpiresAt, member).pexpire(live, held, "NX").pexpire(live, held, "GT");
    } else {
      tx.zrem(live, member);
    }
    if (options?.releaseLive !== undefined) tx.zrem(live, this.keys.sessions.ticketMember(options.releaseLive));
    if (ttl > 0) {
      const keep = ttl + EXPIRY_GRACE_MS;
      tx.hset(key, ...set).pexpire(key, keep);
      for (const index of this.listIndexes(record)) tx.zadd(index, record.createdAt, member).pexpire(index, keep, "NX").pexpire(index, keep, "GT");
      // The index's TTL only ever grows: NX gives a new index one, GT lengthens it (see redis-scripts.ts' bump).
      if (record.dueAt === undefined) tx.zrem(due, member);
      else tx.zadd(due, record.dueAt, member).pexpire(due, keep, "NX").pexpire(due, keep, "GT");
    } else {
      tx.zrem(due, member);
    }
    await tx.exec();
  }

  // Every read decodes a fresh record, so a read-only one (ReadOptions) costs nothing less.
  async get(id: string): Promise<SessionRecord | undefined> {
    const hash = await this.redis.hgetall(this.keys.sessions.record(id));
    if (Object.keys(hash).length === 0) return undefined;
    const record = this.decode(hash);
    return record.expiresAt > this.clock.now() ? record : undefined;
  }

  async update(id: string, patch: SessionRecordPatch, fence?: ClaimFence): Promise<SessionRecord | undefined> {
    return this.patch(id, "", patch, {}, fence);
  }

  async markOutcomeCounted(id: string, at: number): Promise<boolean> {
    return (await this.patch(id, "outcomeCountedAt", { outcomeCountedAt: at })) !== undefined;
  }

  async settle(id: string, settlement: Settlement, patch: SessionRecordPatch = {}): Promise<SessionRecord | undefined> {
    const { outcomeCountedAt, ...decided } = settlement;
    // A count already made stands (it was counted then); otherwise the decision's count is written with it.
    const ifAbsent = outcomeCountedAt === undefined ? {} : { outcomeCountedAt };
    // The record leaves its client's live count in the settling write itself; clientId never changes once put.
    const owner = await this.indexedAs(id);
    if (!owner) return undefined;
    return this.patch(id, "decision", { ...patch, ...decided }, ifAbsent, undefined, this.keys.sessions.live(owner.clientId));
  }

  async claimDue(limit: number, leaseMs: number): Promise<SessionRecord[]> {
    if (limit <= 0) return [];
    const reply = await this.claimScript.run([this.keys.sessions.due], [this.clock.now(), limit, leaseMs, this.keys.sessions.recordPrefix]);
    return (reply as unknown[]).map((pairs) => this.decode(pairsToObject(pairs)));
  }

  /**
   * Reads the index newest first in batches, strictly below `after` and within the creation range, then fetches the
   * records in one pipeline; members whose record expired or vanished are dropped from the index on the way.
   */
  async listByClient(query: SessionListQuery): Promise<SessionRecord[]> {
    const index = query.subject === undefined ? this.keys.sessions.byClient(query.clientId) : this.keys.sessions.bySubject(query.clientId, query.subject);
    const page: SessionRecord[] = [];
    let after = query.after;
    const now = this.clock.now();
    while (page.length < query.limit) {
      const want = query.limit - page.length;
      const positions = await positionsAfter(this.redis, index, query, after, want);
      if (positions.length === 0) break;
      const hashes = await positions.reduce((tx, p) => tx.hgetall(this.keys.sessions.record(p.id)), this.redis.pipeline()).exec();
      // Members whose record is gone or lapsed are dropped from the index, and the page fills from behind them.
      const gone: string[] = [];
      positions.forEach((position, i) => {
        const hash = hashes?.[i]?.[1] as Record<string, string> | undefined;
        const record = hash && Object.keys(hash).length > 0 ? this.decode(hash) : undefined;
        if (record && record.expiresAt > now && record.clientId === query.clientId) page.push(record);
        else gone.push(position.id);
      });
      if (gone.length) await this.redis.zrem(index, ...gone);
      after = positions.at(-1);
      if (positions.length < want) break;
    }
    return page;
  }

  async delete(id: string): Promise<boolean> {
    const key = this.keys.sessions.record(id);
    const previous = await this.indexedAs(id);
    const tx = this.redis.multi().del(key).zrem(this.keys.sessions.due, this.keys.sessions.member(id));
    if (previous) for (const index of [...this.listIndexes(previous), this.keys.sessions.live(previous.clientId)]) tx.zrem(index, this.keys.sessions.member(id));
    const result = await tx.exec();
    return result?.[0]?.[1] === 1;
  }

  async admitLive(clientId: string, ticket: string, max: number, holdUntil: number): Promise<LiveAdmission> {
    const args = [this.clock.now(), this.keys.sessions.ticketMember(ticket), max, holdUntil];
    const [admitted, freesAt] = (await this.admitScript.run([this.keys.sessions.live(clientId)], args)) as [number, string?];
    return admitted === 1 ? { admitted: true } : { admitted: false, freesAt: Number(freesAt) };
  }

  async releaseLive(clientId: string, ticket: string): Promise<void> {
    await this.redis.zrem(this.keys.sessions.live(clientId), this.keys.sessions.ticketMember(ticket));
  }

  async countLive(clientId: string): Promise<number> {
    return this.redis.zcount(this.keys.sessions.live(clientId), `(${this.clock.now()}`, "+inf");
  }

  /** The client and subject a stored record is listed under, if there is one. */
  private async indexedAs(id: string): Promise<Pick<SessionRecord, "clientId" | "subject"> | undefined> {
    const [clientId, subject] = await this.redis.hmget(this.keys.sessions.record(id), "clientId", "subject");
    if (clientId === null || clientId === undefined) return undefined;
    return subject === null || subject === undefined ? { clientId: JSON.parse(clientId) as string } : { clientId: JSON.parse(clientId) as string, subject: JSON.parse(subject) as string };
  }

  private listIndexes(record: Pick<SessionRecord, "clientId" | "subject">): string[] {
    const { byClient, bySubject } = this.keys.sessions;
    return record.subject === undefined ? [byClient(record.clientId)] : [byClient(record.clientId), bySubject(record.clientId, record.subject)];
  }

  private async patch(
    id: string,
    guard: string,
    patch: Partial<Omit<SessionRecord, "dueAt">> & { dueAt?: number | null },
    ifAbsent: Partial<SessionRecord> = {},
    fence?: ClaimFence,
    live?: string,
  ): Promise<SessionRecord | undefined> {
    const { dueAt, ...fields } = patch;
    const { set, del } = fieldsOf(fields);
    const { set: setNx } = fieldsOf(ifAbsent);
    let dueMode = "keep";
    if (dueAt === null) {
      dueMode = "clear";
      del.push("dueAt");
    } else if (dueAt !== undefined) {
      dueMode = "set";
      set.push("dueAt", JSON.stringify(dueAt));
    }
    const member = this.keys.sessions.member(id);
    // The claim field holds JSON like every field: a number's JSON is its decimal, which is what HINCRBY leaves too.
    const fenceArg = fence ? JSON.stringify(fence.claim) : "";
    const args: ScriptArg[] = [this.clock.now(), member, guard, dueMode, dueAt ?? 0, set.length / 2, setNx.length / 2, fenceArg, ...set, ...setNx, ...del];
    const keys = [this.keys.sessions.record(id), this.keys.sessions.due, ...(live === undefined ? [] : [live])];
    const reply = await this.patchScript.run(keys, args);
    return reply ? this.decode(pairsToObject(reply)) : undefined;
  }

  private decode(hash: Record<string, string>): SessionRecord {
    const raw: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(hash)) raw[field] = JSON.parse(value);
    const record = sessionRecordSchema.parse(raw);
    if (record.callbackUrl !== undefined) record.callbackUrl = this.cipher.openText(record.callbackUrl, callbackContext(record.id));
    return record;
  }
}

/** Binds the sealed URL to its session: moved to another record, it does not open. */
const callbackContext = (id: string) => `session-callback:${id}`;
