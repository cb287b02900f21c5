/**
 * The shared pino options on their own: credential headers masked wherever a `headers` object is logged, query
 * values masked in logged URLs, at trace level, without touching the objects that were logged.
 */
import { describe, expect, it } from "vitest";
import { maskedUrl } from "../src/logger.js";
import { CapturedLogs } from "./helpers/captured-logs.js";

const SECRET = "sk-0123456789abcdef";

function logAtTrace(object: Record<string, unknown>): { line: Record<string, unknown>; text: string } {
  const logs = new CapturedLogs();
  logs.logger("trace").trace(object, "line");
  return { line: logs.records()[0]!, text: logs.text };
}

describe("headers in any log object", () => {
  it.each([
    ["at the top", (h: object) => ({ headers: h })],
    ["one level down (busboyOptions.headers)", (h: object) => ({ busboyOptions: { headers: h, limits: { files: 1 } } })],
    ["three levels down", (h: object) => ({ a: { b: { c: { headers: h } } } })],
    ["inside an array", (h: object) => ({ requests: [{ headers: h }] })],
    ["under a capitalised key", (h: object) => ({ Headers: h })],
  ])("when headers are logged %s, then every credential header is masked and the others kept", (_where, wrap) => {
    const headers = {
      "x-api-key": SECRET,
      "x-admin-key": SECRET,
      "ocp-apim-subscription-key": SECRET,
      authorization: `Bearer ${SECRET}`,
      "proxy-authorization": SECRET,
      cookie: `sid=${SECRET}`,
      "webhook-signature": SECRET,
      "x-some-token": SECRET,
      "content-type": "multipart/form-data; boundary=x",
      "x-request-id": "req-1",
    };
    const { text } = logAtTrace(wrap(headers));
    expect(text).not.toContain(SECRET);
    expect(text).toContain("multipart/form-data; boundary=x");
    expect(text).toContain("req-1");
    expect(text.match(/\[redacted\]/g)).toHaveLength(8);
  });

  it("when headers come as a Headers or a Map, then they are masked too", () => {
    expect(logAtTrace({ headers: new Headers({ "x-api-key": SECRET }) }).text).not.toContain(SECRET);
    expect(logAtTrace({ nested: { headers: new Map([["authorization", SECRET]]) } }).text).not.toContain(SECRET);
  });

  it("when an object is logged, then the object itself is left as it was", () => {
    const headers = { "x-api-key": SECRET };
    const logged = { busboyOptions: { headers } };
    logAtTrace(logged);
    expect(logged.busboyOptions.headers).toBe(headers);
    expect(headers["x-api-key"]).toBe(SECRET);
  });

  it("when an error carrying request headers is logged, then its headers are masked", () => {
    const error = Object.assign(new Error("upstream said no"), { request: { headers: { "ocp-apim-subscription-key": SECRET } } });
    const { text, line } = logAtTrace({ err: error });
    expect(text).not.toContain(SECRET);
    expect(line.err).toMatchObject({ message: "upstream said no", request: { headers: { "ocp-apim-subscription-key": "[redacted]" } } });
  });
});

describe("maskedUrl", () => {
  it.each([
    ["/v1/sessions", "/v1/sessions"],
    ["/v1/sessions/abc?x-api-key=k&waitSeconds=5", "/v1/sessions/abc?x-api-key=[redacted]&waitSeconds=[redacted]"],
    ["/x?token", "/x?[redacted]"],
    ["/x?a=&&b=c=d", "/x?a=[redacted]&&b=[redacted]"],
    ["/x?", "/x?"],
  ])("when the URL is %s, then it is logged as %s", (url, logged) => {
    expect(maskedUrl(url)).toBe(logged);
  });
});
