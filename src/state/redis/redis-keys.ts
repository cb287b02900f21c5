/**
 * Every Redis key the state layer uses, in one place (docs/state.md has the same map with types and TTLs).
 *
 * - Everything sits under the configured prefix (REDIS_KEY_PREFIX, "lso:" by default), so one Redis can serve
 *   several deployments and a keyspace scan can find exactly ours.
 * - Keys a script touches together share a hash tag ({...}), so they land on one Redis Cluster slot: per store
 *   for the indexed stores (sessions, outbox, images: record and index move together), per subject or name where
 *   the script's keys are per subject (lockout, leases).
 * - Caller-chosen strings (idempotency keys, lockout subjects, rate-limit keys, which may name a person or an IP)
 *   appear only as a SHA-256, so key names hold no personal data and no caller text can forge a hash tag.
 */
import { createHash } from "node:crypto";

/** Letters, digits and `:._-` only: no braces, so the prefix can never open or close a hash tag. */
const PREFIX_PATTERN = /^[A-Za-z0-9:._-]{0,64}$/;
/** Ids we mint or validate (session ids, webhook ids, lease names) go in as they are when they look like this. */
const PLAIN_PART = /^[A-Za-z0-9._-]{1,128}$/;

export const DEFAULT_KEY_PREFIX = "lso:";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest("base64url");

/** Any other string is hashed: it cannot then break a hash tag or the key's structure. */
function part(value: string): string {
  return PLAIN_PART.test(value) ? value : `h.${digest(value)}`;
}

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX) {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error("the Redis key prefix may hold only letters, digits and : . _ - (at most 64)");
  }
  const p = prefix;
  return {
    prefix: p,
    /** SCAN pattern for every key of this state. */
    pattern: `${p}*`,
    sessions: {
      record: (id: string) => `${p}{sessions}:rec:${part(id)}`,
      /** What the due index holds for `id`: the record key is recordPrefix + member, which scripts rely on. */
      member: (id: string) => part(id),
      recordPrefix: `${p}{sessions}:rec:`,
      due: `${p}{sessions}:due`,
      /** The list indexes: a ZSET per client and per (client, subject) scored by createdAt; names only as hashes. */
      byClient: (clientId: string) => `${p}{sessions}:client:${digest(clientId)}`,
      bySubject: (clientId: string, subject: string) => `${p}{sessions}:subject:${digest(`${clientId}\u0000${subject}`)}`,
      /** The live-session cap: a ZSET per client of the records and create tickets holding a slot, scored by when each stops. */
      live: (clientId: string) => `${p}{sessions}:live:${digest(clientId)}`,
      /** A create ticket's member in `live`: the colon keeps it apart from every session id's member. */
      ticketMember: (ticket: string) => `ticket:${part(ticket)}`,
    },
    idempotency: (key: string) => `${p}idem:${digest(key)}`,
    lockout: {
      failures: (key: string) => `${p}lockout:{${digest(key)}}:fail`,
      state: (key: string) => `${p}lockout:{${digest(key)}}:state`,
    },
    rateLimit: (key: string) => `${p}rate:${digest(key)}`,
    /** rate-limiter-flexible names its keys `${keyPrefix}:${key}`: these two make rateLimit(key) above. */
    rateLimitPrefix: `${p}rate`,
    rateLimitMember: (key: string) => digest(key),
    outbox: {
      delivery: (webhookId: string) => `${p}{outbox}:dlv:${part(webhookId)}`,
      bySession: (sessionId: string) => `${p}{outbox}:ses:${part(sessionId)}`,
      /** Index members and the key suffixes scripts append to the prefixes below. */
      member: (id: string) => part(id),
      deliveryPrefix: `${p}{outbox}:dlv:`,
      sessionPrefix: `${p}{outbox}:ses:`,
      due: `${p}{outbox}:due`,
      /** A client's name in the keys below (and in its deliveries' `client` field): a hash, never the client id. */
      client: (clientId: string) => digest(clientId),
      /** Per client: its pending deliveries by due time, and its attempts under way by the end of their lease. */
      queuePrefix: `${p}{outbox}:q:`,
      flightPrefix: `${p}{outbox}:fly:`,
      /** The clients with pending deliveries, scored by the claim that last served them: the round-robin. */
      clients: `${p}{outbox}:clients`,
    },
    audit: (sessionId: string) => `${p}audit:${part(sessionId)}`,
    images: {
      bytes: (sessionId: string) => `${p}{images}:img:${part(sessionId)}`,
      meta: (sessionId: string) => `${p}{images}:meta:${part(sessionId)}`,
      due: `${p}{images}:due`,
      /** The byte bound: ids scored by retainUntil, and a hash of each id's size plus the "#total" field. */
      held: `${p}{images}:held`,
      sizes: `${p}{images}:sizes`,
    },
    lease: {
      holder: (name: string) => `${p}lease:{${part(name)}}`,
      fence: (name: string) => `${p}lease:{${part(name)}}:fence`,
    },
    /** Face's quota per Face resource (its host): every lane's tokens and Face's pause, in one hash. */
    quota: (resource: string) => `${p}quota:{${part(resource)}}`,
    /** A pub/sub channel: not a key, but under the prefix so deployments sharing a Redis do not hear each other. */
    channel: (name: string) => `${p}sig:${name}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** The hash tag Redis Cluster would use for `key` (the first non-empty {...}), or the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}
