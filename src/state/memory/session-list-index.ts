/**
 * The memory store's list index: each client's session ids (and each (client, subject)'s) kept sorted by
 * (createdAt, id), so a page of a client's sessions costs a binary search and a walk over that page, never a pass
 * over every record in the store. Creation times mostly grow, so inserts land at the end of the array.
 */
import type { SessionListPosition, SessionListQuery, SessionRecord } from "../session-store.js";

/** What the index needs of a record. */
type Indexed = Pick<SessionRecord, "id" | "clientId" | "subject" | "createdAt">;

function compare(a: SessionListPosition, b: SessionListPosition): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Positions sorted ascending; the newest is last. */
class OrderedPositions {
  private readonly items: SessionListPosition[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The number of positions strictly below `bound`. */
  private below(bound: SessionListPosition): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.items[mid]!, bound) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(position: SessionListPosition): void {
    const at = this.below(position);
    if (at < this.items.length && compare(this.items[at]!, position) === 0) return;
    this.items.splice(at, 0, position);
  }

  remove(position: SessionListPosition): void {
    const at = this.below(position);
    if (at < this.items.length && compare(this.items[at]!, position) === 0) this.items.splice(at, 1);
  }

  /** Newest first, strictly below `upper`, down to createdAt >= createdFrom. */
  *descending(upper: SessionListPosition | undefined, createdFrom: number | undefined): Generator<SessionListPosition> {
    for (let i = (upper ? this.below(upper) : this.items.length) - 1; i >= 0; i -= 1) {
      const position = this.items[i]!;
      if (createdFrom !== undefined && position.createdAt < createdFrom) return;
      yield position;
    }
  }
}

/** An id no GUID sorts below: (createdTo, "") bounds "createdAt < createdTo" exactly. */
const LOWEST_ID = "";

export class SessionListIndex {
  private readonly byClient = new Map<string, OrderedPositions>();
  private readonly bySubject = new Map<string, OrderedPositions>();

  clear(): void {
    this.byClient.clear();
    this.bySubject.clear();
  }

  add(record: Indexed): void {
    const position = { createdAt: record.createdAt, id: record.id };
    for (const [map, key] of this.keysOf(record)) {
      let positions = map.get(key);
      if (!positions) map.set(key, (positions = new OrderedPositions()));
      positions.insert(position);
    }
  }

  remove(record: Indexed): void {
    const position = { createdAt: record.createdAt, id: record.id };
    for (const [map, key] of this.keysOf(record)) {
      const positions = map.get(key);
      positions?.remove(position);
      // An empty index per departed client or subject would otherwise stay for the life of the process.
      if (positions?.size === 0) map.delete(key);
    }
  }

  /** Candidate ids for `query`, newest first; the store checks each one is still live. */
  *walk(query: Omit<SessionListQuery, "limit">): Generator<string> {
    const positions = query.subject === undefined ? this.byClient.get(query.clientId) : this.bySubject.get(subjectKey(query.clientId, query.subject));
    if (!positions) return;
    let upper = query.after;
    if (query.createdTo !== undefined) {
      const toBound = { createdAt: query.createdTo, id: LOWEST_ID };
      if (!upper || compare(toBound, upper) < 0) upper = toBound;
    }
    for (const position of positions.descending(upper, query.createdFrom)) yield position.id;
  }

  private keysOf(record: Indexed): Array<[Map<string, OrderedPositions>, string]> {
    const keys: Array<[Map<string, OrderedPositions>, string]> = [[this.byClient, record.clientId]];
    if (record.subject !== undefined) keys.push([this.bySubject, subjectKey(record.clientId, record.subject)]);
    return keys;
  }
}

/** JSON keeps the pair unambiguous whatever characters a subject holds. */
const subjectKey = (clientId: string, subject: string) => JSON.stringify([clientId, subject]);
