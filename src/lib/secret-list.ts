/**
 * How every list of secrets in the configuration is written (caller keys, webhook secrets, state encryption keys,
 * whether from a variable or a Key Vault secret): entries separated by commas or newlines (as a vault value may be
 * written), newest first, blanks ignored, and the same secret twice refused. Problems name an entry by its position,
 * never by its value: values are secrets.
 */

/** One entry as its list's own check reads it: a value (and what makes two entries the same), or a problem. */
export type CheckedEntry<T> = { value: T; identity: string; duplicate: string } | { problem: string };

export interface ParsedSecretList<T> {
  values: T[];
  problems: string[];
}

/**
 * `check` gets each entry's text and its 1-based position, and answers the value with the problem to report if an
 * earlier entry had the same identity; `none` is the problem of a list without any entry.
 */
export function parseSecretList<T>(raw: string, check: (entry: string, position: number) => CheckedEntry<T>, none: string): ParsedSecretList<T> {
  const values: T[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = raw
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const checked = check(entry, index + 1);
    if ("problem" in checked) problems.push(checked.problem);
    else if (seen.has(checked.identity)) problems.push(checked.duplicate);
    else {
      seen.add(checked.identity);
      values.push(checked.value);
    }
  });
  if (values.length === 0 && problems.length === 0) problems.push(none);
  return { values, problems };
}
