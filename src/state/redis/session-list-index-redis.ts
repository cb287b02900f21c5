/**
 * Reading the Redis list index (a ZSET per client, and per (client, subject), of session ids scored by createdAt) in
 * the list's order: newest first, ties by id descending, which is what ZRANGE ... REV gives. The cursor is a
 * (createdAt, id) position, and Redis cannot start a score range in the middle of a score: so the members sharing
 * the cursor's createdAt are read on their own first (those before the cursor skipped), then the range continues
 * below that score. Skipping by score alone cut a page short whenever more sessions shared one millisecond than the
 * batch read past them.
 */
import type { Redis } from "ioredis";
import type { SessionListPosition } from "../session-store.js";

export interface IndexRange {
  /** Inclusive, in ms. */
  createdFrom?: number | undefined;
  /** Exclusive, in ms. */
  createdTo?: number | undefined;
}

/** How many tied members one read takes: sessions that share a millisecond are few, but need not be. */
const TIE_CHUNK = 100;

const inRange = (createdAt: number, range: IndexRange) =>
  (range.createdFrom === undefined || createdAt >= range.createdFrom) && (range.createdTo === undefined || createdAt < range.createdTo);

/** Up to `count` positions of the index strictly after `after` (from the newest when absent), within the range. */
export async function positionsAfter(redis: Redis, index: string, range: IndexRange, after: SessionListPosition | undefined, count: number): Promise<SessionListPosition[]> {
  const found: SessionListPosition[] = [];
  const min = range.createdFrom ?? "-inf";
  let max: number | string = range.createdTo === undefined ? "+inf" : `(${range.createdTo}`;
  if (after && inRange(after.createdAt, range)) {
    for (let offset = 0; found.length < count; offset += TIE_CHUNK) {
      const tied = await redis.zrange(index, after.createdAt, after.createdAt, "BYSCORE", "REV", "LIMIT", offset, TIE_CHUNK);
      for (const id of tied) if (id < after.id && found.length < count) found.push({ createdAt: after.createdAt, id });
      if (tied.length < TIE_CHUNK) break;
    }
    max = `(${after.createdAt}`;
  } else if (after && (range.createdTo === undefined || after.createdAt < range.createdTo)) {
    // A cursor before the range's start: nothing after it is in range (max < min: the read finds nothing).
    max = `(${after.createdAt}`;
  }
  if (found.length === count) return found;
  const reply = await redis.zrange(index, max, min, "BYSCORE", "REV", "LIMIT", 0, count - found.length, "WITHSCORES");
  for (let i = 0; i < reply.length; i += 2) found.push({ id: reply[i]!, createdAt: Number(reply[i + 1]) });
  return found;
}
