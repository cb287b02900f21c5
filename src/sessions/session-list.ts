/**
 * A page of the caller's sessions. The store's index answers client, subject and creation range; kind and outcome
 * are checked here on what the index returns (the outcome of an unsettled session is computed from its snapshot,
 * so no index could hold it). A page therefore inspects at most MAX_INSPECTED records: with a rare filter it may come
 * back short, or empty, with a nextCursor to go on from, rather than walking a client's whole history in one request.
 */
import type { Decision } from "../state/session-record.js";
import { decodeCursor, encodeCursor, type ListFilters } from "./session-list-cursor.js";
import type { SessionList, SessionListQueryInput } from "./session-list-schemas.js";
import type { SessionListPosition, SessionRecord, SessionStore } from "../state/session-store.js";
import { toSessionSummary } from "./session-view.js";

export const MAX_INSPECTED = 1000;
/** Batch size from the index while kind or outcome filters out an unknown share of what it returns. */
const FILTERED_BATCH = 100;

export interface ListDeps {
  store: SessionStore;
  decisionOf: (record: SessionRecord) => Decision;
}

const positionOf = (record: SessionRecord): SessionListPosition => ({ createdAt: record.createdAt, id: record.id });

export async function listSessions(deps: ListDeps, clientId: string, query: SessionListQueryInput): Promise<SessionList> {
  const { limit, cursor, kind, outcome, subject, createdFrom, createdTo } = query;
  const filters: ListFilters = { subject, kind, outcome, createdFrom, createdTo };
  const filtering = kind !== undefined || outcome !== undefined;
  const range = {
    clientId,
    subject,
    createdFrom: createdFrom === undefined ? undefined : Date.parse(createdFrom),
    createdTo: createdTo === undefined ? undefined : Date.parse(createdTo),
  };

  // One match beyond the page tells whether a next page exists, so the last page never carries a cursor.
  const matches: Array<{ record: SessionRecord; decision: Decision }> = [];
  let position = cursor === undefined ? undefined : decodeCursor(cursor, filters);
  let inspected = 0;
  let exhausted = false;
  while (matches.length <= limit && inspected < MAX_INSPECTED) {
    const want = Math.min(MAX_INSPECTED - inspected, filtering ? FILTERED_BATCH : limit + 1 - matches.length);
    const batch = await deps.store.listByClient({ ...range, after: position, limit: want });
    for (const record of batch) {
      inspected += 1;
      position = positionOf(record);
      // An erasure tombstone waiting for Face: gone, as far as its client can tell.
      if (record.erased) continue;
      if (kind !== undefined && record.kind !== kind) continue;
      const decision = deps.decisionOf(record);
      if (outcome !== undefined && decision.outcome !== outcome) continue;
      matches.push({ record, decision });
      if (matches.length > limit) break;
    }
    if (batch.length < want) {
      exhausted = true;
      break;
    }
  }

  const page = matches.slice(0, limit);
  let next: SessionListPosition | undefined;
  if (matches.length > limit) next = positionOf(page[page.length - 1]!.record);
  else if (!exhausted && position) next = position;
  return {
    items: page.map(({ record, decision }) => toSessionSummary(record, decision)),
    nextCursor: next ? encodeCursor(next, filters) : null,
  };
}
