/**
 * Misspelt variables fail startup instead of being ignored: `FACE_API_KEY=…` silently leaving the Face key unset (and
 * the server on Entra ID) is the kind of mistake nobody finds in a log. A variable counts as "ours" when it starts with
 * one of the product's prefixes, derived from the known names, so a variable added to a schema is covered at once.
 */

/**
 * Namespaces that are not the product's although a known name starts with them: AZURE_* belongs to @azure/identity
 * (AZURE_TENANT_ID, AZURE_CLIENT_SECRET, …), which reads far more of it than the one AZURE_CLIENT_ID we declare.
 */
const FOREIGN_PREFIXES = ["AZURE_"];

/** Set by desktops (X11 session manager) on developer machines; it shares SESSION_ by accident. */
const FOREIGN_NAMES = new Set(["SESSION_MANAGER"]);

/**
 * Kubernetes injects `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT`, `<SERVICE>_PORT_6379_TCP_ADDR`, … for every Service
 * in the namespace (enableServiceLinks), so a Service named "redis" must not stop the pod from starting.
 * @see https://kubernetes.io/docs/concepts/services-networking/service/#environment-variables
 */
const SERVICE_LINK = /_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$/;

/**
 * The product's prefixes: each known name's first word (`FACE_`, `WEBHOOK_`, `ADMIN_`), narrowed to the stem a family
 * shares when it shares more (`KEY_VAULT_URL` + `KEY_VAULT_REFRESH_SECONDS` give `KEY_VAULT_`, `API_KEYS` +
 * `API_KEYS_SECRET_NAME` give `API_KEYS`), so generic words such as KEY_ or API_ are not claimed.
 */
export function productPrefixes(known: readonly string[]): string[] {
  const families = new Map<string, string[]>();
  for (const name of known) {
    const cut = name.indexOf("_");
    if (cut <= 0) continue; // PORT, HOST: a whole word is a name, not a prefix
    const first = name.slice(0, cut + 1);
    if (FOREIGN_PREFIXES.includes(first)) continue;
    families.set(first, [...(families.get(first) ?? []), name]);
  }
  return [...families.entries()].map(([first, names]) => (names.length > 1 ? sharedStem(names) : first)).sort();
}

/** The longest prefix all names share, cut back to a whole word (ending in `_`, or a whole name that others extend). */
function sharedStem(names: string[]): string {
  let stem = names[0]!;
  for (const name of names) while (!name.startsWith(stem)) stem = stem.slice(0, -1);
  if (stem.endsWith("_") || names.every((n) => n === stem || n.startsWith(`${stem}_`))) return stem;
  return stem.slice(0, stem.lastIndexOf("_") + 1);
}

/**
 * Optimal string alignment distance: Levenshtein plus the swap of two neighbours, the typo fingers make most.
 * Names are short (< 40 characters), so the quadratic table is nothing.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`; ties go to the one that shares the longer start, then alphabetical order. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const shared = (k: string) => {
    let n = 0;
    while (n < k.length && k[n] === name[n]) n++;
    return n;
  };
  return [...known].sort((x, y) => editDistance(name, x) - editDistance(name, y) || shared(y) - shared(x) || x.localeCompare(y))[0];
}

/**
 * One problem per set variable that carries a product prefix but is not a known name, each naming the nearest known
 * one: `FACE_API_KEY: unknown variable; did you mean FACE_APIKEY?`. `alsoKnown` are names another part of the product
 * reads from the same environment (the standalone emulator's), accepted but never suggested. Empty values count as
 * unset, as everywhere else, so a copied .env.example with a stale line does not stop a start.
 */
export function unknownVariableProblems(
  known: readonly string[],
  env: Record<string, string | undefined>,
  alsoKnown: readonly string[] = [],
): string[] {
  const prefixes = productPrefixes(known);
  const accepted = new Set([...known, ...alsoKnown]);
  return Object.keys(env)
    .filter((name) => env[name]?.trim())
    .filter((name) => !accepted.has(name) && !FOREIGN_NAMES.has(name) && !SERVICE_LINK.test(name))
    .filter((name) => prefixes.some((prefix) => name.startsWith(prefix)))
    .sort()
    .map((name) => `${name}: unknown variable; did you mean ${nearestName(name, known)}?`);
}
