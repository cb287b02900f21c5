/**
 * A queue that serves its clients in turn (weighted round robin: a client of weight w is served up to w items per
 * turn), each client's own items in arrival order. One tenant with a hundred queued calls then delays another
 * tenant's call by at most one turn of its own, instead of a hundred; a client given weight 3 (CALLER_POLICIES
 * faceQuotaWeight) gets three calls through for every one of a weight-1 client while both wait. Work-conserving: a
 * lone client gets every turn, whatever its weight.
 */

/** A client's weight when nobody gave it one. */
export const DEFAULT_CLIENT_WEIGHT = 1;

interface Turn<T> {
  items: T[];
  /** Items served in the turn in progress; only the client at the head of the round is in a turn. */
  served: number;
}

export class FairQueue<T> {
  /** Per client, its items oldest first; Map order is the order of turns (the client being served is first). */
  private readonly byClient = new Map<string, Turn<T>>();
  private count = 0;

  /** Read when a client's turn is counted, so a weight changed by new policies applies from its next item. */
  constructor(private readonly weightOf: (client: string) => number = () => DEFAULT_CLIENT_WEIGHT) {}

  get size(): number {
    return this.count;
  }

  push(client: string, item: T): void {
    const turn = this.byClient.get(client);
    if (turn) turn.items.push(item);
    else this.byClient.set(client, { items: [item], served: 0 });
    this.count += 1;
  }

  /** The head client's oldest item; once its turn is used up (or it has nothing left) the next client's turn begins. */
  shift(): T | undefined {
    const first = this.byClient.entries().next();
    if (first.done) return undefined;
    const [client, turn] = first.value;
    const item = turn.items.shift();
    turn.served += 1;
    this.count -= 1;
    if (!turn.items.length) this.byClient.delete(client);
    else if (turn.served >= this.weight(client)) {
      // To the back of the round, its next turn starting afresh.
      this.byClient.delete(client);
      this.byClient.set(client, { items: turn.items, served: 0 });
    }
    return item;
  }

  remove(client: string, item: T): boolean {
    const turn = this.byClient.get(client);
    const at = turn?.items.indexOf(item) ?? -1;
    if (!turn || at < 0) return false;
    turn.items.splice(at, 1);
    if (!turn.items.length) this.byClient.delete(client);
    this.count -= 1;
    return true;
  }

  /** Every item, in no particular order, and the queue emptied. */
  drain(): T[] {
    const all = [...this.byClient.values()].flatMap((turn) => turn.items);
    this.byClient.clear();
    this.count = 0;
    return all;
  }

  /** Items that would be served before one more item of `client` pushed now. */
  aheadOf(client: string): number {
    const own = this.byClient.get(client);
    const ownItems = own?.items.length ?? 0;
    const weight = this.weight(client);
    // The new item is the client's (ownItems + 1)-th; the turn that serves it is `turns` counted from its current
    // (or next) turn. Clients whose turn comes before its first turn get that many turns, the others one fewer; a
    // client not yet queued takes its turn after everyone else.
    const firstTurn = Math.max(1, weight - (own?.served ?? 0));
    const turns = ownItems < firstTurn ? 1 : 1 + Math.ceil((ownItems + 1 - firstTurn) / weight);
    let ahead = ownItems;
    let before = true;
    for (const [other, turn] of this.byClient) {
      if (other === client) {
        before = false;
        continue;
      }
      const theirTurns = before ? turns : turns - 1;
      if (theirTurns <= 0) continue;
      const theirWeight = this.weight(other);
      // Only the head client can be part-way through a turn.
      const theirFirst = Math.max(1, theirWeight - turn.served);
      ahead += Math.min(turn.items.length, theirFirst + (theirTurns - 1) * theirWeight);
    }
    return ahead;
  }

  /** Whole items per turn, at least one: a weight is a count of calls. */
  private weight(client: string): number {
    return Math.max(1, Math.floor(this.weightOf(client)));
  }
}
