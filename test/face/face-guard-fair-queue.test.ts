/** The guard's per-priority queue: clients served in turn, each client's own calls in order, and the wait it quotes. */
import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/face/face-guard-fair-queue.js";

function queueOf(items: Array<[client: string, item: string]>, weights: Record<string, number> = {}): FairQueue<string> {
  const queue = new FairQueue<string>((client) => weights[client] ?? 1);
  for (const [client, item] of items) queue.push(client, item);
  return queue;
}

const drainInOrder = (queue: FairQueue<string>) => {
  const served: string[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) served.push(item);
  return served;
};

describe("FairQueue", () => {
  it("when clients queue unevenly, then they are served one item each in turn, each client's items in order", () => {
    const queue = queueOf([
      ["a", "a1"],
      ["a", "a2"],
      ["a", "a3"],
      ["b", "b1"],
      ["c", "c1"],
      ["c", "c2"],
    ]);
    expect(drainInOrder(queue)).toEqual(["a1", "b1", "c1", "a2", "c2", "a3"]);
    expect(queue.size).toBe(0);
  });

  it("when a client is served, then it goes to the back of the round, behind the clients already waiting", () => {
    const queue = queueOf([
      ["a", "a1"],
      ["a", "a2"],
      ["b", "b1"],
    ]);
    expect(queue.shift()).toBe("a1");
    queue.push("c", "c1");
    expect(drainInOrder(queue)).toEqual(["b1", "a2", "c1"]);
  });

  it("when asked how many go before a new item, then the answer matches where round robin serves it", () => {
    const items: Array<[string, string]> = [
      ["a", "a1"],
      ["a", "a2"],
      ["a", "a3"],
      ["b", "b1"],
      ["c", "c1"],
      ["c", "c2"],
    ];
    for (const client of ["a", "b", "c", "d"]) {
      const queue = queueOf(items);
      const ahead = queue.aheadOf(client);
      queue.push(client, "new");
      expect(drainInOrder(queue).indexOf("new"), client).toBe(ahead);
    }
  });

  it("when an item is removed (its caller gave up), then the rest keep their order and the count follows", () => {
    const queue = queueOf([
      ["a", "a1"],
      ["b", "b1"],
      ["a", "a2"],
    ]);
    expect(queue.remove("a", "a1")).toBe(true);
    expect(queue.remove("a", "a1")).toBe(false);
    expect(queue.size).toBe(2);
    expect(drainInOrder(queue)).toEqual(["a2", "b1"]);
  });

  it("when clients have weights, then each turn serves up to its weight of a client's items, in order", () => {
    const queue = queueOf(
      [
        ["a", "a1"],
        ["a", "a2"],
        ["a", "a3"],
        ["a", "a4"],
        ["b", "b1"],
        ["b", "b2"],
        ["b", "b3"],
        ["c", "c1"],
      ],
      { a: 3 },
    );
    expect(drainInOrder(queue)).toEqual(["a1", "a2", "a3", "b1", "c1", "a4", "b2", "b3"]);
  });

  it("when a weighted client's turn is part-way through and another arrives, then the turn finishes first", () => {
    const queue = queueOf(
      [
        ["a", "a1"],
        ["a", "a2"],
        ["a", "a3"],
      ],
      { a: 2 },
    );
    expect(queue.shift()).toBe("a1");
    queue.push("b", "b1");
    expect(drainInOrder(queue)).toEqual(["a2", "b1", "a3"]);
  });

  it("when asked how many go before a new item under weights, then the answer matches where the queue serves it", () => {
    const weights = { a: 3, b: 1, c: 2, d: 4 };
    const items: Array<[string, string]> = [
      ["a", "a1"],
      ["b", "b1"],
      ["a", "a2"],
      ["c", "c1"],
      ["b", "b2"],
      ["a", "a3"],
      ["c", "c2"],
      ["a", "a4"],
      ["c", "c3"],
      ["b", "b3"],
      ["a", "a5"],
    ];
    const checked: string[] = [];
    // From every point of the drain (head clients part-way through their turns included), for every client.
    for (let servedFirst = 0; servedFirst < items.length; servedFirst++) {
      for (const client of ["a", "b", "c", "d"]) {
        const queue = queueOf(items, weights);
        for (let i = 0; i < servedFirst; i++) queue.shift();
        const ahead = queue.aheadOf(client);
        queue.push(client, "new");
        expect(drainInOrder(queue).indexOf("new"), `${client} after ${servedFirst}`).toBe(ahead);
        checked.push(client);
      }
    }
    expect(checked).toHaveLength(items.length * 4);
  });
});
