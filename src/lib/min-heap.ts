/**
 * A binary min-heap ordered by a numeric key: the due and lapse indexes of the memory state (stand-ins for Redis
 * sorted sets) pop the earliest entry without walking the rest.
 */
export class MinHeap<T> {
  private items: T[] = [];

  constructor(private readonly keyOf: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** The entry with the smallest key, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const h = this.items;
    h.push(item);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.keyOf(h[parent]!) <= this.keyOf(h[i]!)) return;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the entry with the smallest key. */
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (!h.length) return top;
    h[0] = last!;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && this.keyOf(h[l]!) < this.keyOf(h[min]!)) min = l;
      if (r < h.length && this.keyOf(h[r]!) < this.keyOf(h[min]!)) min = r;
      if (min === i) return top;
      [h[min], h[i]] = [h[i]!, h[min]!];
      i = min;
    }
  }

  /** Keeps only the entries `keep` accepts (in heap order, which stays valid for a subset rebuilt by push). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep);
    this.items = [];
    for (const item of kept) this.push(item);
  }

  clear(): void {
    this.items = [];
  }
}
