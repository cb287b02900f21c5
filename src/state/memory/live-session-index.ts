/**
 * The memory store's count of each client's live sessions (the live-session cap): per client, the records and
 * create tickets that hold a slot, each with the time it stops holding it (a record's token lapse, a ticket's
 * hold). Lapsed entries are dropped whenever the client is counted, so a session whose token lapsed unsettled never
 * holds a slot past its lapse, with or without background work.
 */
import type { LiveAdmission } from "../session-store.js";

export class LiveSessionIndex {
  private readonly byClient = new Map<string, Map<string, number>>();

  /** `member` holds a slot of `clientId` until `until` (replacing what it held before). */
  hold(clientId: string, member: string, until: number): void {
    let held = this.byClient.get(clientId);
    if (!held) this.byClient.set(clientId, (held = new Map()));
    held.set(member, until);
  }

  release(clientId: string, member: string): void {
    const held = this.byClient.get(clientId);
    held?.delete(member);
    // An empty map per departed client would otherwise stay for the life of the process.
    if (held?.size === 0) this.byClient.delete(clientId);
  }

  admit(clientId: string, ticket: string, max: number, holdUntil: number, now: number): LiveAdmission {
    const count = this.count(clientId, now);
    if (count >= max) return { admitted: false, freesAt: Math.min(...this.byClient.get(clientId)!.values()) };
    this.hold(clientId, ticket, holdUntil);
    return { admitted: true };
  }

  count(clientId: string, now: number): number {
    const held = this.byClient.get(clientId);
    if (!held) return 0;
    for (const [member, until] of held) if (until <= now) held.delete(member);
    if (held.size === 0) this.byClient.delete(clientId);
    return held.size;
  }

  clear(): void {
    this.byClient.clear();
  }
}
