/**
 * A min-heap of (dueAt, id), the memory stand-in for a Redis ZSET. Entries are never updated in place: a new due
 * time pushes a new entry and the old one goes stale, recognised on pop because the owner's current due time no
 * longer matches it. The heap is rebuilt when stale entries outnumber live ones, so it stays O(live) in size.
 */
interface Entry {
  dueAt: number;
  id: string;
}

export class DueIndex {
  private heap: Entry[] = [];

  constructor(private readonly currentDueAt: (id: string) => number | undefined) {}

  push(id: string, dueAt: number): void {
    this.heap.push({ dueAt, id });
    this.up(this.heap.length - 1);
  }

  /** Up to `limit` ids due at `now`, earliest first, each once; removes them from the index. */
  takeDue(now: number, limit: number): string[] {
    const taken: string[] = [];
    const seen = new Set<string>();
    while (taken.length < limit && this.heap.length) {
      const top = this.heap[0]!;
      if (top.dueAt > now) break;
      this.pop();
      if (this.currentDueAt(top.id) !== top.dueAt || seen.has(top.id)) continue;
      seen.add(top.id);
      taken.push(top.id);
    }
    return taken;
  }

  /** Drops stale entries when they dominate; `live` is how many entries can still be current. */
  compact(live: number): void {
    if (this.heap.length <= 2 * live + 64) return;
    const current = this.heap.filter((e) => this.currentDueAt(e.id) === e.dueAt);
    this.heap = [];
    for (const e of current) this.push(e.id, e.dueAt);
  }

  clear(): void {
    this.heap = [];
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (!this.heap.length) return;
    this.heap[0] = last;
    this.down(0);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.dueAt <= h[i]!.dueAt) return;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && h[l]!.dueAt < h[min]!.dueAt) min = l;
      if (r < h.length && h[r]!.dueAt < h[min]!.dueAt) min = r;
      if (min === i) return;
      [h[min], h[i]] = [h[i]!, h[min]!];
      i = min;
    }
  }
}
