/**
 * The memory stores' sweep: every entry of a map whose deadline has passed is deleted. Deleting the entry being
 * visited is safe while iterating a Map.
 */
export function deleteExpired<K, V>(entries: Map<K, V>, now: number, deadline: (value: V) => number): number {
  let removed = 0;
  for (const [key, value] of entries) {
    if (deadline(value) <= now) {
      entries.delete(key);
      removed += 1;
    }
  }
  return removed;
}
