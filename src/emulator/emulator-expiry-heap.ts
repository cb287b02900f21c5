/**
 * A min-heap of (expiresAt, sessionId): the emulator's expiry index. Purging pops only what has expired, so a create
 * costs O(expired · log n) instead of a walk of every live session. Deleted sessions are not removed from the heap
 * (that would need an index into it); their entries are dropped when they surface, which they do by their own expiry.
 */
export interface ExpiryEntry {
  expiresAt: number;
  sessionId: string;
}

export class ExpiryHeap {
  private readonly items: ExpiryEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(entry: ExpiryEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.expiresAt <= entry.expiresAt) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }

  /** Removes and returns the earliest entry if it expires at or before `now`. */
  popExpired(now: number): ExpiryEntry | undefined {
    const top = this.items[0];
    if (!top || top.expiresAt > now) return undefined;
    const last = this.items.pop()!;
    if (this.items.length > 0) this.siftDown(last);
    return top;
  }

  private siftDown(entry: ExpiryEntry): void {
    const items = this.items;
    const n = items.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1]!.expiresAt < items[child]!.expiresAt) child += 1;
      if (items[child]!.expiresAt >= entry.expiresAt) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = entry;
  }
}
