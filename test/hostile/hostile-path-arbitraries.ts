/** fast-check arbitraries for hostile session ids, route prefixes and suffixes, query strings and methods. */
import fc from "fast-check";
import { hostileText, percentEncode } from "./hostile-text-arbitraries.js";

/** Path segments where a session id belongs: real ids, GUIDs, near misses, traversal, injection, long and unicode. */
export function idSegment(realIds: readonly string[]): fc.Arbitrary<string> {
  const real = fc.constantFrom(...realIds);
  return fc.oneof(
    { weight: 2, arbitrary: real },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: real.chain((id) => fc.constantFrom(id.toUpperCase(), `${id}x`, id.slice(1), `{${id}}`, `urn:uuid:${id}`, `${id}%00`, `${id}%0d%0a`, `${id}/`, id.replace(/-/g, "%2D"), id.replace(/-/g, ""), `${id}%20`, `%20${id}`, ` ${id}`, `${id};x=1`, `${id}.json`)) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "..", ".", "...", "../", "..%2F", "..%2f..%2fhealthz", "%2e%2e", "%2e%2e%2f", "%252e%252e%252f", "%252F", "..%252F..%252Fetc%252Fpasswd", "..;", "..%5c", "%5c..%5c",
        "%c0%ae%c0%ae%c0%af", "%e0%80%ae", "%c0%af", "....//", "%2F", "%2f%2f", "%00", "%0d%0a", "%0a", "%0dX-Injected:%201", "%",
        "%ZZ", "%E0%A4%A", "%ed%a0%80", "%ff", "'%20OR%201=1%20--", "%27%3B%20DROP%20TABLE%20sessions%3B--", "%7B%22%24gt%22%3A%22%22%7D", "%24where",
        "__proto__", "constructor", "prototype", "null", "undefined", "0", "-1", "*", "%2A", "~", "image",
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 4_000 }).chain((n) => fc.constantFrom("a".repeat(n), "%41".repeat(n), "%F0%9F%98%80".repeat(Math.ceil(n / 12)))) },
    { weight: 3, arbitrary: hostileText.map(percentEncode) },
    { weight: 1, arbitrary: hostileText.map((t) => percentEncode(percentEncode(t))) },
    // Raw (unencoded) text: inject passes it through; the router has to cope.
    { weight: 1, arbitrary: hostileText.filter((t) => t.length > 0 && !/[?#]/.test(t)) },
  );
}

export const routePrefix: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("/v1/sessions/") },
  { weight: 1, arbitrary: fc.constantFrom("/v1/sessions//", "/V1/sessions/", "/v1/Sessions/", "/v1/sessions/%2F", "/v2/sessions/", "/v1/./sessions/", "/v1/sessions/../sessions/", "//v1/sessions/", "/v1%2Fsessions/", "/v1/sessions/x/") },
);

export const routeSuffix: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("", "/image") },
  { weight: 1, arbitrary: fc.constantFrom("/", "/image/", "//image", "/IMAGE", "/image/../", "%2Fimage", ";x", "/image;x", "/../image", "/image%00", "/image.png", "/attempts") },
);

export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "?", "?a", "?a=1&a=2", "?__proto__[polluted]=1", "?constructor[prototype][polluted]=1", "?__proto__.polluted=1", "?a[b][c][d][e][f]=1",
      "?%", "?%%", "?a=%ZZ", "?id=../..", "?id=%00", "?x=%0d%0aSet-Cookie:%20a", "?kind=liveness", "?q=' OR 1=1 --", "?$where=1", "?a[]=1&a[][b]=2", "?&&&=&=",
    ),
  },
  { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `?${q}`) },
  { weight: 1, arbitrary: hostileText.map((t) => `?q=${percentEncode(t)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => `?q=${"x".repeat(n)}`) },
);

export const injectMethods = ["GET", "DELETE", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "TRACE", "SEARCH", "PROPFIND", "LOCK", "MKCOL", "COPY", "MOVE", "REPORT", "QUERY"] as const;
export type InjectMethod = (typeof injectMethods)[number];

export const hostileMethod: fc.Arbitrary<InjectMethod> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<InjectMethod>("GET", "DELETE", "HEAD") },
  { weight: 2, arbitrary: fc.constantFrom<InjectMethod>(...injectMethods) },
);

/** The id with each hex letter in upper or lower case, at random: one GUID, many spellings. */
export function caseMixed(id: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: id.length, maxLength: id.length }).map((upper) => [...id].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
}
