/**
 * The webhook outbox in Redis, under the {outbox} tag: a hash per delivery (its fields, the current lease token,
 * and one `a:<n>` field per attempt), a ZSET of due times for pending deliveries, and a list per session of its
 * deliveries in the order they were added (a ZSET by createdAt would order ties by id, not by arrival). The URL is
 * sealed with AES-256-GCM (its query may carry the receiver's token).
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
  type DeliveryClaim,
  type OutboxStats,
  type RestartResult,
  type WebhookDelivery,
  type WebhookOutbox,
} from "../webhook-outbox.js";
import type { RedisKeys } from "./redis-keys.js";
import { deliveryAttemptSchema } from "./redis-record-schemas.js";
import { defineScript, pairsToObject, type ScriptArg } from "./redis-scripts.js";

/** Shared by the scripts: keep a delivery and the indexes that name it for `keep` ms from now. */
const KEEP = `
local function keep(d, due, ses, ms)
  expire(d, ms)
  bump(due, ms)
  bump(ses, ms)
end
`;

/** KEYS: delivery, due, session. ARGV: member, dueAt or '', keepMs, then field/value pairs. */
const ADD = `${KEEP}
local d, due, ses = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', d) == 1 then return 0 end
for i = 4, #ARGV, 2 do redis.call('HSET', d, ARGV[i], ARGV[i + 1]) end
if ARGV[2] ~= '' then redis.call('ZADD', due, ARGV[2], ARGV[1]) end
redis.call('RPUSH', ses, ARGV[1])
keep(d, due, ses, tonumber(ARGV[3]))
return 1
`;

/**
 * KEYS: due. ARGV: now, limit, leaseMs, retentionMs, delivery prefix, session prefix, then one lease token per
 * possible claim. Each claimed delivery's hash (attempt number reserved, due moved by the lease).
 */
const CLAIM_DUE = `${KEEP}
local due = KEYS[1]
local now, limit, lease, retention = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local claimed = {}
while #claimed < limit do
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit - #claimed)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local d = ARGV[5] .. id
    if redis.call('HGET', d, 'state') == 'pending' then
      redis.call('HINCRBY', d, 'lastAttempt', 1)
      redis.call('HSET', d, 'dueAt', now + lease, 'lease', ARGV[7 + #claimed])
      redis.call('ZADD', due, now + lease, id)
      keep(d, due, ARGV[6] .. redis.call('HGET', d, 'sessionMember'), lease + retention)
      claimed[#claimed + 1] = redis.call('HGETALL', d)
    else
      redis.call('ZREM', due, id)
    end
  end
end
return claimed
`;

/** KEYS: delivery, due. ARGV: now, member, lease, state, dueAt or '', attempt field, attempt JSON, retentionMs, session prefix, attempt time, attempts kept, attempt field prefix. */
const RECORD = `${KEEP}
local d, due = KEYS[1], KEYS[2]
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
local later = 0
if ARGV[5] == '' then
  redis.call('HDEL', d, 'dueAt')
  redis.call('ZREM', due, ARGV[2])
else
  redis.call('HSET', d, 'dueAt', ARGV[5])
  redis.call('ZADD', due, ARGV[5], ARGV[2])
  later = math.max(0, tonumber(ARGV[5]) - now)
end
keep(d, due, ARGV[9] .. redis.call('HGET', d, 'sessionMember'), retention + later)
return 1
`;

/** KEYS: delivery, due. ARGV: now, member, retentionMs, session prefix. ['missing'] | ['pending'] | ['restarted', hash]. */
const RESTART = `${KEEP}
local d, due = KEYS[1], KEYS[2]
local now, retention = tonumber(ARGV[1]), tonumber(ARGV[3])
local state = redis.call('HGET', d, 'state')
if not state or (state ~= 'pending' and tonumber(redis.call('HGET', d, 'updatedAt')) + retention <= now) then return { 'missing' } end
if state == 'pending' then return { 'pending' } end
redis.call('HINCRBY', d, 'series', 1)
redis.call('HSET', d, 'state', 'pending', 'seriesStartedAt', now, 'dueAt', now, 'updatedAt', now)
redis.call('ZADD', due, now, ARGV[2])
keep(d, due, ARGV[4] .. redis.call('HGET', d, 'sessionMember'), retention)
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
    const fields: ScriptArg[] = ["sessionMember", outbox.member(delivery.sessionId), "url", this.cipher.sealText(url, context(delivery.webhookId))];
    for (const [field, value] of Object.entries(plain)) fields.push(field, String(value));
    if (dueAt !== undefined) fields.push("dueAt", dueAt);
    for (const attempt of attempts) fields.push(`${ATTEMPT_FIELD}${attempt.attempt}`, JSON.stringify(attempt));
    const keepMs = OUTBOX_RETENTION_MS + Math.max(0, (dueAt ?? 0) - this.clock.now());
    const keys = [outbox.delivery(delivery.webhookId), outbox.due, outbox.bySession(delivery.sessionId)];
    const args = [outbox.member(delivery.webhookId), dueAt ?? "", keepMs, ...fields];
    return (await this.addScript.run(keys, args)) === 1;
  }

  async claimDue(limit: number, leaseMs: number): Promise<DeliveryClaim[]> {
    if (limit <= 0) return [];
    const { outbox } = this.keys;
    const leases = Array.from({ length: limit }, () => randomUUID());
    const args = [this.clock.now(), limit, leaseMs, OUTBOX_RETENTION_MS, outbox.deliveryPrefix, outbox.sessionPrefix, ...leases];
    const reply = (await this.claimScript.run([outbox.due], args)) as unknown[];
    return reply.map((pairs, i) => {
      const delivery = this.decode(pairsToObject(pairs));
      return { delivery, attempt: delivery.lastAttempt, lease: leases[i] as string };
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
    ];
    return (await this.recordScript.run([outbox.delivery(webhookId), outbox.due], args)) === 1;
  }

  async restart(webhookId: string): Promise<RestartResult> {
    const { outbox } = this.keys;
    const args = [this.clock.now(), outbox.member(webhookId), OUTBOX_RETENTION_MS, outbox.sessionPrefix];
    const [outcome, pairs] = (await this.restartScript.run([outbox.delivery(webhookId), outbox.due], args)) as [string, unknown?];
    if (outcome === "restarted") return { outcome, delivery: this.decode(pairsToObject(pairs)) };
    return { outcome: outcome === "pending" ? "pending" : "missing" };
  }

  async deleteBySession(sessionId: string): Promise<number> {
    const { outbox } = this.keys;
    const members = await this.redis.lrange(outbox.bySession(sessionId), 0, -1);
    if (members.length === 0) return 0;
    const states = await Promise.all(members.map((member) => this.redis.hget(outbox.deliveryPrefix + member, "state")));
    const tx = this.redis.multi();
    for (const member of members) tx.del(outbox.deliveryPrefix + member).zrem(outbox.due, member);
    await tx.del(outbox.bySession(sessionId)).exec();
    // A lease held by a worker mid-attempt then finds its delivery gone, and its result is dropped.
    return states.filter((state) => state === "pending").length;
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
