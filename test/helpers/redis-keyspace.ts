/**
 * Reads back everything a state wrote to Redis: every key under a prefix with its type, its TTL and every value it
 * holds (strings, hash fields and values, list items, set and sorted-set members, stream entries), as raw bytes.
 * The keyspace tests use it to prove that every key expires and that no secret sits in Redis in plain text.
 */
import type { Redis } from "ioredis";

export interface DumpedKey {
  key: string;
  type: string;
  /** PTTL: ms left, -1 for a key without a TTL. */
  ttlMs: number;
  /** Every value the key holds, names included (hash fields, sorted-set members), as bytes. */
  values: Buffer[];
}

async function valuesOf(redis: Redis, key: string, type: string): Promise<Buffer[]> {
  switch (type) {
    case "string":
      return [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
    case "hash":
      return redis.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([field, value]) => [Buffer.from(field), value]));
    case "list":
      return redis.lrangeBuffer(key, 0, -1);
    case "set":
      return redis.smembersBuffer(key);
    case "zset":
      return redis.zrangeBuffer(key, 0, -1);
    case "stream": {
      const entries = (await redis.xrangeBuffer(key, "-", "+")) as Array<[Buffer, Buffer[]]>;
      return entries.flatMap(([id, fields]) => [id, ...fields]);
    }
    default:
      throw new Error(`key ${key} has a type the dump does not know: ${type}`);
  }
}

export async function dumpKeyspace(redis: Redis, prefix: string): Promise<DumpedKey[]> {
  const keys = new Set<string>();
  // SCAN (not KEYS): how an operator would walk a production keyspace too.
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) for (const key of batch) keys.add(key);
  const dumped: DumpedKey[] = [];
  for (const key of [...keys].sort()) {
    const type = await redis.type(key);
    if (type === "none") continue; // expired between SCAN and now
    dumped.push({ key, type, ttlMs: await redis.pttl(key), values: await valuesOf(redis, key, type) });
  }
  return dumped;
}

export interface Secret {
  label: string;
  value: Uint8Array | string;
}

/**
 * The secrets found anywhere in the dump (key names included), each as "label in key (form)": the raw bytes, and standard and URL-safe
 * base64. A secret inside a longer base64 text is encoded from one of three byte alignments, so the base64 forms
 * are taken from each (skipping 0, 1 or 2 leading bytes, up to the last whole 3-byte group).
 */
export function secretsIn(dump: DumpedKey[], secrets: Secret[]): string[] {
  const found = new Set<string>();
  for (const secret of secrets) {
    const raw = Buffer.from(secret.value);
    const forms: Array<[string, Buffer]> = [["raw", raw]];
    for (let skip = 0; skip < 3; skip += 1) {
      const aligned = raw.subarray(skip, skip + Math.floor((raw.length - skip) / 3) * 3);
      // Too short a needle would match by chance; the secrets tested are far longer than this.
      if (aligned.length < 12) continue;
      forms.push([`base64 from byte ${skip}`, Buffer.from(aligned.toString("base64"))]);
      forms.push([`base64url from byte ${skip}`, Buffer.from(aligned.toString("base64url"))]);
    }
    for (const entry of dump) {
      // The key's own name is searched too: a name is as visible as a value to anyone who can list keys.
      const haystacks = [Buffer.from(entry.key), ...entry.values];
      for (const [form, needle] of forms) {
        if (haystacks.some((v) => v.includes(needle))) found.add(`${secret.label} in ${entry.key} (${form})`);
      }
    }
  }
  return [...found];
}
