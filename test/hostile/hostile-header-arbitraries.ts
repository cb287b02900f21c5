/** fast-check arbitraries for hostile request headers: API keys, content types and lengths, request ids, junk. */
import fc from "fast-check";
import { hostileString, hostileText } from "./hostile-text-arbitraries.js";

/** x-api-key values: missing, empty, valid, another client's, near misses, repeated, huge, odd. */
export function apiKeyHeader(validKeys: readonly string[], faceKey: string): fc.Arbitrary<string | string[] | undefined> {
  const valid = fc.constantFrom(...validKeys);
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "undefined", faceKey, `Bearer ${validKeys[0]}`, "k".repeat(100_000)) },
    { weight: 2, arbitrary: valid.chain((key) => fc.constantFrom(` ${key}`, `${key} `, key.toUpperCase(), key.slice(0, -1), `${key}x`, `${key}\u0000`, `${key}\r\n`, `${key},${key}`)) },
    { weight: 2, arbitrary: fc.tuple(valid, fc.oneof(valid, hostileText)).map(([a, b]) => [a, b]) },
    { weight: 2, arbitrary: hostileString },
  );
}

/** x-admin-key values: mostly none (a load balancer's probe), the operator's, near misses, other secrets, junk. */
export function adminKeyHeader(operatorKey: string): fc.Arbitrary<string | string[] | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant(operatorKey) },
    { weight: 2, arbitrary: fc.constantFrom("", " ", `${operatorKey} `, ` ${operatorKey}`, operatorKey.toUpperCase(), operatorKey.slice(0, -1), `${operatorKey}\u0000`, `ops:${operatorKey}`) },
    { weight: 1, arbitrary: fc.constant<string[]>([operatorKey, operatorKey]) },
    { weight: 2, arbitrary: hostileString },
  );
}

const charsets = ["utf-8", "UTF-8", '"utf-8"', "utf8", "utf-16", "utf-16le", "latin1", "iso-8859-1", "ascii", "ebcdic", "", "\u0000", "x".repeat(500)];

/** content-type values around application/json and multipart/form-data. */
export const contentTypeHeader: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("application/json") },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom(...charsets).map((c) => `application/json; charset=${c}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "", " ", "APPLICATION/JSON", " application/json ", "application/json;", "application/json;;;=;", "application/json; charset", "application/json; boundary=x",
      "application/jsonx", "application/json+x", "application/problem+json", "application/*", "*/*", "json", "text/json", "text/plain", "text/html",
      "application/xml", "application/x-www-form-urlencoded", "application/octet-stream", "multipart/form-data", "multipart/form-data; boundary=",
      "multipart/form-data; boundary=x", 'multipart/form-data; boundary="a b"', "multipart/mixed; boundary=x", "multipart/form-data; boundary=x; boundary=y",
      "application/json, text/plain", "application/json\u0000", "application/json\r\nx-injected: 1", "\ufeffapplication/json",
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["application/json", "application/json"], ["application/json", "text/plain"], ["text/plain", "application/json"]) },
  { weight: 1, arbitrary: hostileText },
);

/** content-length values; `match` stands for the real length. */
export const contentLengthHeader: fc.Arbitrary<"match" | "plusOne" | "minusOne" | string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("match") },
  { weight: 2, arbitrary: fc.constantFrom("plusOne", "minusOne") },
  { weight: 2, arbitrary: fc.constantFrom("0", "-1", "abc", "1e3", " 5 ", "+5", "0x10", "99999999999999999999", "NaN", "", "5, 5", "9437185") },
);

const safeRequestId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);

/** x-request-id values: safe ones (reused), and junk that must never be echoed. */
export const requestIdHeader: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: safeRequestId },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom("", "a".repeat(129), 'evil"\n{"level":60}', "id\r\nset-cookie: x=1", "<script>", "../../etc/passwd") },
  { weight: 1, arbitrary: fc.tuple(safeRequestId, safeRequestId).map(([a, b]) => [a, b]) },
);

/** Headers the API does not use, with junk names and values. */
export const junkHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(
    fc.constantFrom("accept", "accept-encoding", "content-encoding", "transfer-encoding", "expect", "x-forwarded-for", "x-forwarded-host", "forwarded", "authorization", "cookie", "origin", "range", "if-none-match", "x-http-method-override", "connection", "upgrade", "te", "trailer"),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
  ),
  fc.oneof(fc.constantFrom("gzip", "br", "chunked", "100-continue", "teapot", "127.0.0.1", "DELETE", "bytes=0-1", "*", "close", "websocket"), hostileText),
  { maxKeys: 3 },
);
