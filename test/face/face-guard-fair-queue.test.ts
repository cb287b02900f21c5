/** The guard's per-priority queue: clients served in turn, each client's own calls in order, and the wait it quotes. */
import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/face/face-guard-fair-queue.js";

function queueOf(items: Array<[client: string, item: string]>): FairQueue<string> {
  const queue = new FairQueue<string>();
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
});
