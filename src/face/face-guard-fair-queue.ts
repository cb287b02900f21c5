/**
 * A queue that serves its clients in turn (round robin, one item per client per round), each client's own items in
 * arrival order. One tenant with a hundred queued calls then delays another tenant's call by at most one of its
 * own, instead of a hundred: fair queueing with equal weights, and work-conserving (a lone client gets every turn).
 */
export class FairQueue<T> {
  /** Per client, its items oldest first; Map order is the order of turns (the next client to serve is first). */
  private readonly byClient = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(client: string, item: T): void {
    const items = this.byClient.get(client);
    if (items) items.push(item);
    else this.byClient.set(client, [item]);
    this.count += 1;
  }

  /** The next client's oldest item; that client then goes to the back of the round. */
  shift(): T | undefined {
    const first = this.byClient.entries().next();
    if (first.done) return undefined;
    const [client, items] = first.value;
    const item = items.shift();
    this.byClient.delete(client);
    if (items.length) this.byClient.set(client, items);
    this.count -= 1;
    return item;
  }

  remove(client: string, item: T): boolean {
    const items = this.byClient.get(client);
    const at = items?.indexOf(item) ?? -1;
    if (!items || at < 0) return false;
    items.splice(at, 1);
    if (!items.length) this.byClient.delete(client);
    this.count -= 1;
    return true;
  }

  /** Every item, in no particular order, and the queue emptied. */
  drain(): T[] {
    const all = [...this.byClient.values()].flat();
    this.byClient.clear();
    this.count = 0;
    return all;
  }

  /** Items that would be served before one more item of `client` pushed now. */
  aheadOf(client: string): number {
    const own = this.byClient.get(client)?.length ?? 0;
    // The new item is the client's (own + 1)-th: every client whose turn comes first serves up to that many items
    // before it, every client after it one fewer. A client not yet queued takes its turn after everyone else.
    let ahead = own;
    let before = true;
    for (const [other, items] of this.byClient) {
      if (other === client) {
        before = false;
        continue;
      }
      ahead += Math.min(items.length, before ? own + 1 : own);
    }
    return ahead;
  }
}
