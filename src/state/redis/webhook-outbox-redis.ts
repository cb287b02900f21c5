/**
 * The webhook outbox in Redis, under the {outbox} tag: a hash per delivery (its fields, the current lease token,
 * and one `a:<n>` field per attempt), a ZSET of due times for pending deliveries (what stats reads), and a list per
 * session of its deliveries in the order they were added (a ZSET by createdAt would order ties by id, not by
 * arrival). Claims read per-client structures: a ZSET per client of its pending deliveries by due time, a ZSET per
 * client of its attempts under way by lease end, and a ZSET of clients by when a claim last served them. The URL
 * is sealed with AES-256-GCM (its query may carry the receiver's token).
 *
 * add, claimDue, record and restart are scripts: each checks state (absent, pending, our lease) and writes in one
 * step. A delivery's keys live OUTBOX_RETENTION_MS past its last write (longer while its next attempt is further
 * out), so a finished delivery stays readable that long and a pending one is never dropped between retries.
 */
import type { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { StateCipher } from "../state-crypto.js";
import {
  MAX_KEPT_ATTEMPTS,
  OUTBOX_RETENTION_MS,
  type AttemptResult,
  type ClaimOptions,
  type DeliveryClaim,
  type OutboxStats,
  type RestartResult,
  type WebhookDelivery,
  type WebhookOutbox,
} from "../webhook-outbox.js";
import type { RedisKeys } from "./redis-keys.js";
import { deliveryAttemptSchema } from "./redis-record-schemas.js";
import { defineScript, pairsToObject, type ScriptArg } from "./redis-scripts.js";

/**
 * Shared by the scripts, whose KEYS start with the due index and the client round-robin: keep a delivery and the
 * indexes that name it (its session's list, its client's queue when it has one) for `ms` from now.
 */
const KEEP = `
local function keep(d, ses, q, ms)
  expire(d, ms)
  bump(KEYS[1], ms)
  bump(KEYS[2], ms)
  bump(ses, ms)
  if q then bump(q, ms) end
end
`;

/** KEYS: due, clients, delivery, session, client queue. ARGV: member, dueAt or '', keepMs, client, then field/value pairs. */
const ADD = `${KEEP}
local due, clients, d, ses, q = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('EXISTS', d) == 1 then return 0 end
for i = 5, #ARGV, 2 do redis.call('HSET', d, ARGV[i], ARGV[i + 1]) end
if ARGV[2] ~= '' then
  redis.call('ZADD', due, ARGV[2], ARGV[1])
  redis.call('ZADD', q, ARGV[2], ARGV[1])
  redis.call('ZADD', clients, 'NX', 0, ARGV[4])
end
redis.call('RPUSH', ses, ARGV[1])
keep(d, ses, q, tonumber(ARGV[3]))
return 1
`;

/**
 * KEYS: due, clients. ARGV: now, limit, leaseMs, retentionMs, delivery prefix, session prefix, queue prefix, flight
 * prefix, cap per client, the client name for deliveries written before the per-client queues, then one lease token
 * per possible claim. Each claimed delivery's hash (attempt number reserved, due moved by the lease).
 *
 * Round-robin: clients in the order of the claim that last served them (a new one first), one delivery each per
 * round, until the limit or a round claims nothing. A client's flight set holds its attempts under way, scored by
 * their lease's end: a lapsed one is dropped before counting, so a crashed replica's slot frees with its lease.
 */
const CLAIM_DUE = `${KEEP}
local due, clients = KEYS[1], KEYS[2]
local now, limit, lease, retention, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[9])
local dlv, ses, qs, fly, legacy = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[10]

-- A delivery written before the per-client queues has no client: it joins one shared queue once it is due.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit)) do
  local fields = redis.call('HMGET', dlv .. id, 'state', 'client')
  if fields[1] ~= 'pending' then
    redis.call('ZREM', due, id)
  elseif not fields[2] then
    redis.call('HSET', dlv .. id, 'client', legacy)
    redis.call('ZADD', qs .. legacy, redis.call('ZSCORE', due, id), id)
    redis.call('ZADD', clients, 'NX', 0, legacy)
    bump(qs .. legacy, retention)
    bump(clients, retention)
  end
end

local function first_due(q)
  while true do
    local ids = redis.call('ZRANGEBYSCORE', q, '-inf', now, 'LIMIT', 0, 1)
    if #ids == 0 then return nil end
    if redis.call('HGET', dlv .. ids[1], 'state') == 'pending' then return ids[1] end
    redis.call('ZREM', q, ids[1])
    redis.call('ZREM', due, ids[1])
  end
end

local order = redis.call('ZRANGE', clients, 0, -1)
local serial = tonumber(redis.call('ZRANGE', clients, -1, -1, 'WITHSCORES')[2] or 0)
local done, claimed, progress = {}, {}, true
while #claimed < limit and progress do
  progress = false
  for _, c in ipairs(order) do
    if #claimed >= limit then break end
    if not done[c] then
      local q, f = qs .. c, fly .. c
      redis.call('ZREMRANGEBYSCORE', f, '-inf', now)
      local id = nil
      if redis.call('ZCARD', f) < cap then id = first_due(q) end
      if not id then
        done[c] = true
        if redis.call('ZCARD', q) == 0 then redis.call('ZREM', clients, c) end
      else
        local d = dlv .. id
        redis.call('HINCRBY', d, 'lastAttempt', 1)
        redis.call('HSET', d, 'dueAt', now + lease, 'lease', ARGV[11 + #claimed])
        redis.call('ZADD', due, now + lease, id)
        redis.call('ZADD', q, now + lease, id)
        redis.call('ZADD', f, now + lease, id)
        bump(f, lease)
        serial = serial + 1
        redis.call('ZADD', clients, serial, c)
        keep(d, ses .. redis.call('HGET', d, 'sessionMember'), q, lease + retention)
        claimed[#claimed + 1] = redis.call('HGETALL', d)
        progress = true
      end
    end
  end
end
return claimed
`;

/**
 * KEYS: due, clients, delivery. ARGV: now, member, lease, state, dueAt or '', attempt field, attempt JSON, retentionMs,
 * session prefix, attempt time, attempts kept, attempt field prefix, queue prefix, flight prefix.
 */
const RECORD = `${KEEP}
local due, clients, d = KEYS[1], KEYS[2], KEYS[3]
local now, retention = tonumber(ARGV[1]), tonumber(ARGV[8])
if redis.call('HGET', d, 'lease') ~= ARGV[3] then return 0 end
redis.call('HDEL', d, 'lease')
redis.call('HSET', d, ARGV[6], ARGV[7], 'state', ARGV[4], 'updatedAt', now)
redis.call('HINCRBY', d, 'attemptCount', 1)
redis.call('HSETNX', d, 'firstAttemptAt', ARGV[10])
-- Keep the latest ARGV[11] attempts (fields ARGV[12] .. number): drop the lowest numbers beyond that.
local numbers = {}
for _, field in ipairs(redis.call('HKEYS', d)) do
  if string.sub(field, 1, #ARGV[12]) == ARGV[12] then table.insert(numbers, tonumber(string.sub(field, #ARGV[12] + 1))) end
end
table.sort(numbers)
for i = 1, #numbers - tonumber(ARGV[11]) do redis.call('HDEL', d, ARGV[12] .. numbers[i]) end
-- The attempt is over: its client's slot frees now rather than when the lease would have lapsed.
local client = redis.call('HGET', d, 'client')
local q = client and ARGV[13] .. client or nil
if client then redis.call('ZREM', ARGV[14] .. client, ARGV[2]) end
local later = 0
if ARGV[5] == '' then
  redis.call('HDEL', d, 'dueAt')
  redis.call('ZREM', due, ARGV[2])
  if q then redis.call('ZREM', q, ARGV[2]) end
else
  redis.call('HSET', d, 'dueAt', ARGV[5])
  redis.call('ZADD', due, ARGV[5], ARGV[2])
  if q then
    redis.call('ZADD', q, ARGV[5], ARGV[2])
    redis.call('ZADD', clients, 'NX', 0, client)
  end
  later = math.max(0, tonumber(ARGV[5]) - now)
end
keep(d, ARGV[9] .. redis.call('HGET', d, 'sessionMember'), q, retention + later)
return 1
`;

/** KEYS: due, clients, delivery. ARGV: now, member, retentionMs, session prefix, queue prefix. ['missing'] | ['pending'] | ['restarted', hash]. */
const RESTART = `${KEEP}
local due, clients, d = KEYS[1], KEYS[2], KEYS[3]
local now, retention = tonumber(ARGV[1]), tonumber(ARGV[3])
local state = redis.call('HGET', d, 'state')
if not state or (state ~= 'pending' and tonumber(redis.call('HGET', d, 'updatedAt')) + retention <= now) then return { 'missing' } end
if state == 'pending' then return { 'pending' } end
redis.call('HINCRBY', d, 'series', 1)
redis.call('HSET', d, 'state', 'pending', 'seriesStartedAt', now, 'dueAt', now, 'updatedAt', now)
redis.call('ZADD', due, now, ARGV[2])
local client = redis.call('HGET', d, 'client')
local q = client and ARGV[5] .. client or nil
if q then
  redis.call('ZADD', q, now, ARGV[2])
  redis.call('ZADD', clients, 'NX', 0, client)
end
keep(d, ARGV[4] .. redis.call('HGET', d, 'sessionMember'), q, retention)
return { 'restarted', redis.call('HGETALL', d) }
`;

const deliveryHash = z.object({
  webhookId: z.string(),
  sessionId: z.string(),
  clientId: z.string(),
  type: z.literal("session.decided"),
  url: z.string(),
  body: z.string(),
  createdAt: z.coerce.number(),
  state: z.enum(["pending", "delivered", "failed"]),
  series: z.coerce.number(),
  seriesStartedAt: z.coerce.number(),
  dueAt: z.coerce.number().optional(),
  lastAttempt: z.coerce.number(),
  attemptCount: z.coerce.number().optional(),
  firstAttemptAt: z.coerce.number().optional(),
  updatedAt: z.coerce.number(),
});

const ATTEMPT_FIELD = "a:";
/** The one queue that deliveries written before the per-client queues join (they carry no client name). */
const LEGACY_CLIENT = "legacy";

export class RedisWebhookOutbox implements WebhookOutbox {
  private readonly addScript;
  private readonly claimScript;
  private readonly recordScript;
  private readonly restartScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cipher: StateCipher,
    private readonly clock: Clock,
  ) {
    this.addScript = defineScript(redis, ADD);
    this.claimScript = defineScript(redis, CLAIM_DUE);
    this.recordScript = defineScript(redis, RECORD);
    this.restartScript = defineScript(redis, RESTART);
  }

  async add(delivery: WebhookDelivery): Promise<boolean> {
    const { outbox } = this.keys;
    const { attempts, url, dueAt, ...plain } = delivery;
    const client = outbox.client(delivery.clientId);
    const fields: ScriptArg[] = ["sessionMember", outbox.member(delivery.sessionId), "client", client, "url", this.cipher.sealText(url, context(delivery.webhookId))];
    for (const [field, value] of Object.entries(plain)) fields.push(field, String(value));
    if (dueAt !== undefined) fields.push("dueAt", dueAt);
    for (const attempt of attempts) fields.push(`${ATTEMPT_FIELD}${attempt.attempt}`, JSON.stringify(attempt));
    const keepMs = OUTBOX_RETENTION_MS + Math.max(0, (dueAt ?? 0) - this.clock.now());
    const keys = [outbox.due, outbox.clients, outbox.delivery(delivery.webhookId), outbox.bySession(delivery.sessionId), outbox.queuePrefix + client];
    const args = [outbox.member(delivery.webhookId), dueAt ?? "", keepMs, client, ...fields];
    return (await this.addScript.run(keys, args)) === 1;
  }

  async claimDue(limit: number, leaseMs: number, options: ClaimOptions = {}): Promise<DeliveryClaim[]> {
    if (limit <= 0) return [];
    const { outbox } = this.keys;
    const leases = Array.from({ length: limit }, () => randomUUID());
    const cap = options.maxInFlightPerClient ?? Number.MAX_SAFE_INTEGER;
    const args = [
      this.clock.now(),
      limit,
      leaseMs,
      OUTBOX_RETENTION_MS,
      outbox.deliveryPrefix,
      outbox.sessionPrefix,
      outbox.queuePrefix,
      outbox.flightPrefix,
      cap,
      LEGACY_CLIENT,
      ...leases,
    ];
    const reply = (await this.claimScript.run([outbox.due, outbox.clients], args)) as unknown[];
    return reply.map((pairs) => {
      const hash = pairsToObject(pairs);
      const delivery = this.decode(hash);
      return { delivery, attempt: delivery.lastAttempt, lease: hash.lease as string };
    });
  }

  async record(webhookId: string, lease: string, result: AttemptResult): Promise<boolean> {
    const { outbox } = this.keys;
    const args = [
      this.clock.now(),
      outbox.member(webhookId),
      lease,
      result.state,
      result.dueAt ?? "",
      `${ATTEMPT_FIELD}${result.attempt.attempt}`,
      JSON.stringify(result.attempt),
      OUTBOX_RETENTION_MS,
      outbox.sessionPrefix,
      result.attempt.at,
      MAX_KEPT_ATTEMPTS,
      ATTEMPT_FIELD,
      outbox.queuePrefix,
      outbox.flightPrefix,
    ];
    return (await this.recordScript.run([outbox.due, outbox.clients, outbox.delivery(webhookId)], args)) === 1;
  }

  async restart(webhookId: string): Promise<RestartResult> {
    const { outbox } = this.keys;
    const args = [this.clock.now(), outbox.member(webhookId), OUTBOX_RETENTION_MS, outbox.sessionPrefix, outbox.queuePrefix];
    const [outcome, pairs] = (await this.restartScript.run([outbox.due, outbox.clients, outbox.delivery(webhookId)], args)) as [string, unknown?];
    if (outcome === "restarted") return { outcome, delivery: this.decode(pairsToObject(pairs)) };
    return { outcome: outcome === "pending" ? "pending" : "missing" };
  }

  async deleteBySession(sessionId: string): Promise<number> {
    const { outbox } = this.keys;
    const members = await this.redis.lrange(outbox.bySession(sessionId), 0, -1);
    if (members.length === 0) return 0;
    const found = await Promise.all(members.map((member) => this.redis.hmget(outbox.deliveryPrefix + member, "state", "client")));
    const tx = this.redis.multi();
    members.forEach((member, i) => {
      tx.del(outbox.deliveryPrefix + member).zrem(outbox.due, member);
      const client = found[i]?.[1];
      if (client) tx.zrem(outbox.queuePrefix + client, member).zrem(outbox.flightPrefix + client, member);
    });
    await tx.del(outbox.bySession(sessionId)).exec();
    // A lease held by a worker mid-attempt then finds its delivery gone, and its result is dropped.
    return found.filter(([state]) => state === "pending").length;
  }

  async listBySession(sessionId: string): Promise<WebhookDelivery[]> {
    const { outbox } = this.keys;
    const members = await this.redis.lrange(outbox.bySession(sessionId), 0, -1);
    if (members.length === 0) return [];
    const tx = this.redis.multi();
    for (const member of members) tx.hgetall(outbox.deliveryPrefix + member);
    const hashes = (await tx.exec()) ?? [];
    const now = this.clock.now();
    const found: WebhookDelivery[] = [];
    const gone: string[] = [];
    members.forEach((member, i) => {
      const hash = hashes[i]?.[1] as Record<string, string> | undefined;
      if (!hash || Object.keys(hash).length === 0) gone.push(member);
      else {
        const delivery = this.decode(hash);
        // Finished and past its retention on the store's clock: forgotten, as the key soon will be.
        if (delivery.state === "pending" || delivery.updatedAt + OUTBOX_RETENTION_MS > now) found.push(delivery);
      }
    });
    if (gone.length > 0) {
      const tx = this.redis.multi();
      for (const member of gone) tx.lrem(outbox.bySession(sessionId), 0, member);
      await tx.exec();
    }
    // A stable sort: deliveries created in the same millisecond stay in the order they were added.
    return found.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** From the due index alone (a pending delivery is always in it, finished ones leave it when recorded). */
  async stats(): Promise<OutboxStats> {
    const { due } = this.keys.outbox;
    const replies = await this.redis.multi().zcard(due).zcount(due, "-inf", this.clock.now()).zrange(due, 0, 0, "WITHSCORES").exec();
    const failed = replies?.find(([error]) => error)?.[0];
    if (!replies || failed) throw failed ?? new Error("Redis discarded the outbox stats transaction");
    const [pending, ready, first] = replies.map(([, value]) => value) as [number, number, string[]];
    const stats: OutboxStats = { pending, due: ready };
    if (first[1] !== undefined) stats.earliestDueAt = Number(first[1]);
    return stats;
  }

  private decode(hash: Record<string, string>): WebhookDelivery {
    const parsed = deliveryHash.parse(hash);
    const attempts = Object.entries(hash)
      .filter(([field]) => field.startsWith(ATTEMPT_FIELD))
      .map(([, value]) => deliveryAttemptSchema.parse(JSON.parse(value)))
      .sort((a, b) => a.attempt - b.attempt);
    const delivery: WebhookDelivery = { ...parsed, url: this.cipher.openText(parsed.url, context(parsed.webhookId)), attempts };
    if (parsed.dueAt === undefined) delete delivery.dueAt;
    if (parsed.attemptCount === undefined) delete delivery.attemptCount;
    if (parsed.firstAttemptAt === undefined) delete delivery.firstAttemptAt;
    return delivery;
  }
}

/** Binds the sealed URL to its delivery: moved to another delivery, it does not open. */
const context = (webhookId: string) => `outbox-url:${webhookId}`;
