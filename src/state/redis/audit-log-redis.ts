/**
 * Audit trails in Redis: one list per session. Its head element is the trail's expiry (a decimal, on the store's
 * clock); the entries follow as JSON. Append is one script, since it must check that expiry, start a new trail
 * when the old one lapsed, move the expiry only later, and respect the cap. The key's TTL follows the head.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../../lib/clock.js";
import { MAX_AUDIT_ENTRIES_PER_SESSION, type AuditEntry, type AuditLog } from "../audit-log.js";
import type { RedisKeys } from "./redis-keys.js";
import { auditEntrySchema } from "./redis-record-schemas.js";
import { defineScript } from "./redis-scripts.js";

/** KEYS: trail. ARGV: now, expiresAt, cap, entry... How many entries were appended (the first ones, up to the cap). */
const APPEND = `
local k = KEYS[1]
local now, exp, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local len = redis.call('LLEN', k)
if len > 0 and tonumber(redis.call('LINDEX', k, 0)) <= now then
  redis.call('DEL', k)
  len = 0
end
if len == 0 then
  redis.call('RPUSH', k, exp)
  len = 1
else
  local current = tonumber(redis.call('LINDEX', k, 0))
  if current >= exp then exp = current else redis.call('LSET', k, 0, exp) end
end
local appended = 0
for i = 4, #ARGV do
  if len - 1 >= cap then break end
  redis.call('RPUSH', k, ARGV[i])
  len = len + 1
  appended = appended + 1
end
if exp - now > 0 then expire(k, exp - now) else redis.call('DEL', k) end
return appended
`;

export class RedisAuditLog implements AuditLog {
  private readonly appendScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
    private readonly maxEntries = MAX_AUDIT_ENTRIES_PER_SESSION,
  ) {
    this.appendScript = defineScript(redis, APPEND);
  }

  async append(sessionId: string, entry: AuditEntry, expiresAt: number): Promise<boolean> {
    return (await this.appendMany(sessionId, [entry], expiresAt)) === 1;
  }

  async appendMany(sessionId: string, entries: readonly AuditEntry[], expiresAt: number): Promise<number> {
    if (entries.length === 0) return 0;
    const reply = await this.appendScript.run(
      [this.keys.audit(sessionId)],
      [this.clock.now(), expiresAt, this.maxEntries, ...entries.map((entry) => JSON.stringify(entry))],
    );
    return Number(reply);
  }

  async list(sessionId: string, limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return [];
    const [head, ...entries] = await this.redis.lrange(this.keys.audit(sessionId), 0, limit);
    if (head === undefined || Number(head) <= this.clock.now()) return [];
    return entries.map((text) => auditEntrySchema.parse(JSON.parse(text)) as AuditEntry);
  }

  async deleteSession(sessionId: string): Promise<boolean> {
    return (await this.redis.del(this.keys.audit(sessionId))) === 1;
  }
}
