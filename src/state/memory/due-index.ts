/**
 * A min-heap of (dueAt, id), the memory stand-in for a Redis ZSET. Entries are never updated in place: a new due
 * time pushes a new entry and the old one goes stale, recognised on pop because the owner's current due time no
 * longer matches it. The heap is rebuilt when stale entries outnumber live ones, so it stays O(live) in size.
 */
import { MinHeap } from "../../lib/min-heap.js";

interface Entry {
  dueAt: number;
  id: string;
}

export class DueIndex {
  private readonly heap = new MinHeap<Entry>((e) => e.dueAt);

  constructor(private readonly currentDueAt: (id: string) => number | undefined) {}

  push(id: string, dueAt: number): void {
    this.heap.push({ dueAt, id });
  }

  /** Up to `limit` ids due at `now`, earliest first, each once; removes them from the index. */
  takeDue(now: number, limit: number): string[] {
    const taken: string[] = [];
    const seen = new Set<string>();
    for (let top = this.heap.peek(); taken.length < limit && top && top.dueAt <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (this.currentDueAt(top.id) !== top.dueAt || seen.has(top.id)) continue;
      seen.add(top.id);
      taken.push(top.id);
    }
    return taken;
  }

  /** Drops stale entries when they dominate; `live` is how many entries can still be current. */
  compact(live: number): void {
    if (this.heap.size <= 2 * live + 64) return;
    this.heap.retain((e) => this.currentDueAt(e.id) === e.dueAt);
  }

  clear(): void {
    this.heap.clear();
  }
}
