/**
 * The encoded views of settled sessions, per process. A settled session's view never changes: its snapshot is no
 * longer read from Face, so lastCheckedAt stays put, and its decision is written once. So the view, its JSON and its
 * ETag are computed on the first read after it settles and served as bytes from then on.
 *
 * The version guards what could still move: the decision (decidedAt), a late Face read committed by a flight that
 * started before the decision (it always moves lastCheckedAt), and the caller's policy (exposeScores shapes the
 * body). Bounded: the least recently read entries go first.
 */
export interface EncodedView {
  body: string;
  etag: string;
}

/** What the cached view was made from. Compared field by field: a key string built on every read cost more. */
export interface ViewVersion {
  decidedAt: string | null;
  lastCheckedAt: number;
  exposeScores: boolean;
}

interface Entry extends EncodedView, ViewVersion {
  /** The cache's clock when the entry last moved to the most recent end. */
  movedAt: number;
}

const sameVersion = (entry: Entry, version: ViewVersion) =>
  entry.lastCheckedAt === version.lastCheckedAt && entry.decidedAt === version.decidedAt && entry.exposeScores === version.exposeScores;

/** About 1 KB per entry, so about 10 MB at most. */
export const SETTLED_VIEW_CACHE_ENTRIES = 10_000;

export class SettledViewCache {
  private readonly entries = new Map<string, Entry>();
  /** Counts moves to the most recent end (sets and refreshes). */
  private clock = 0;

  constructor(private readonly maxEntries = SETTLED_VIEW_CACHE_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  get(sessionId: string, version: ViewVersion): EncodedView | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (!sameVersion(entry, version)) {
      this.entries.delete(sessionId);
      return undefined;
    }
    // Map keeps insertion order: re-inserting marks the entry as the most recently read. Only once it has fallen
    // into the older half, though: a hot entry is read again and again, and moving it on every read (a Map delete
    // and set) cost more than the lookup. Nothing in the newer half is ever the next to go.
    if (this.clock - entry.movedAt >= this.maxEntries / 2) {
      this.entries.delete(sessionId);
      entry.movedAt = ++this.clock;
      this.entries.set(sessionId, entry);
    }
    return entry;
  }

  set(sessionId: string, version: ViewVersion, encoded: EncodedView): void {
    this.entries.delete(sessionId);
    const { decidedAt, lastCheckedAt, exposeScores } = version;
    this.entries.set(sessionId, { body: encoded.body, etag: encoded.etag, decidedAt, lastCheckedAt, exposeScores, movedAt: ++this.clock });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}
