import { describe, expect, it } from "vitest";
import { MinHeap } from "../../src/lib/min-heap.js";

describe("MinHeap", () => {
  it("when numbers are pushed in any order, then they pop smallest first, and peek shows the next without taking it", () => {
    const values = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    const heap = new MinHeap<number>((n) => n);
    for (const v of values) heap.push(v);
    expect(heap.size).toBe(values.length);
    const popped: number[] = [];
    for (let next = heap.peek(); next !== undefined; next = heap.peek()) {
      expect(heap.pop()).toBe(next);
      popped.push(next);
    }
    expect(popped).toEqual([...values].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
  });

  it("when retain keeps a subset, then only those entries remain, still in key order", () => {
    const heap = new MinHeap<{ at: number; id: string }>((e) => e.at);
    for (const [at, id] of [[5, "a"], [1, "b"], [4, "c"], [2, "d"], [3, "e"]] as const) heap.push({ at, id });
    heap.retain((e) => e.id !== "b" && e.id !== "e");
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()].map((e) => e?.id)).toEqual(["d", "c", "a", undefined]);
  });
});
