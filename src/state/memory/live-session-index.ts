/**
 * The memory store's count of each client's live sessions (the live-session cap): per client, the records and
 * create tickets that hold a slot, each with the time it stops holding it (a record's token lapse, a ticket's
 * hold). Lapsed entries are dropped whenever the client is counted, so a session whose token lapsed unsettled never
 * holds a slot past its lapse, with or without background work.
 *
 * Every create counts its client, so the lapses sit in a min-heap per client: a count pops what has lapsed instead
 * of walking every slot the client holds. Heap entries are never updated in place; one whose member no longer holds
 * that lapse (released, or held again until another time) is stale and skipped when it reaches the top. The heap is
 * rebuilt when stale entries outnumber live ones, so it stays O(live) in size.
 */
import { MinHeap } from "../../lib/min-heap.js";
import type { LiveAdmission } from "../session-store.js";

interface Lapse {
  until: number;
  member: string;
}

class ClientSlots {
  readonly held = new Map<string, number>();
  private readonly heap = new MinHeap<Lapse>((lapse) => lapse.until);

  hold(member: string, until: number): void {
    // Records are put on every change with the same lapse: only a new lapse needs a heap entry.
    if (this.held.get(member) === until) return;
    this.held.set(member, until);
    this.heap.push({ until, member });
    if (this.heap.size > 2 * this.held.size + 64) this.rebuild();
  }

  private rebuild(): void {
    this.heap.clear();
    for (const [member, until] of this.held) this.heap.push({ until, member });
  }

  /** Drops the slots lapsed at `now`. */
  dropLapsed(now: number): void {
    for (let top = this.heap.peek(); top && top.until <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (this.held.get(top.member) === top.until) this.held.delete(top.member);
    }
  }

  /** The earliest lapse of a slot still held (the client must hold one). */
  earliestLapse(): number {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      if (this.held.get(top.member) === top.until) return top.until;
      this.heap.pop();
    }
    return Math.min(...this.held.values());
  }
}

export class LiveSessionIndex {
  private readonly byClient = new Map<string, ClientSlots>();

  /** `member` holds a slot of `clientId` until `until` (replacing what it held before). */
  hold(clientId: string, member: string, until: number): void {
    let slots = this.byClient.get(clientId);
    if (!slots) this.byClient.set(clientId, (slots = new ClientSlots()));
    slots.hold(member, until);
  }

  release(clientId: string, member: string): void {
    const slots = this.byClient.get(clientId);
    slots?.held.delete(member);
    // An empty entry per departed client would otherwise stay for the life of the process.
    if (slots?.held.size === 0) this.byClient.delete(clientId);
  }

  admit(clientId: string, ticket: string, max: number, holdUntil: number, now: number): LiveAdmission {
    const count = this.count(clientId, now);
    if (count >= max) return { admitted: false, freesAt: this.byClient.get(clientId)!.earliestLapse() };
    this.hold(clientId, ticket, holdUntil);
    return { admitted: true };
  }

  count(clientId: string, now: number): number {
    const slots = this.byClient.get(clientId);
    if (!slots) return 0;
    slots.dropLapsed(now);
    if (slots.held.size === 0) this.byClient.delete(clientId);
    return slots.held.size;
  }

  clear(): void {
    this.byClient.clear();
  }
}
