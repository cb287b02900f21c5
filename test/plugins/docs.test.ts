/**
 * The API reference at /docs: on by default in emulator mode only, switchable with DOCS_UI, served from local
 * files with a CSP of its own while every other route keeps the strict one.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { DOCS_CSP } from "../../src/plugins/docs.js";
import { helmetHeaders } from "../../src/plugins/security.js";
import { OPENAPI_PATH } from "../../scripts/openapi-document.js";
import { startStack, type TestStack } from "../helpers/app-harness.js";

const STRICT_CSP = "default-src 'none';frame-ancestors 'none'";

/** Every src= and href= of an HTML page. */
const referencesOf = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);

describe("DOCS_UI", () => {
  it("when unset in emulator mode, then the reference is on; with a real FACE_ENDPOINT, off; DOCS_UI decides either way", () => {
    const production = { STATE_BACKEND: "memory", FACE_ENDPOINT: "https://my-face.cognitiveservices.azure.com", FACE_APIKEY: "face-key-0123456789", API_KEYS: "acme:acme-key-0123456789abcdef" };
    expect(loadConfig({}).apiDocs).toBe(true);
    expect(loadConfig(production).apiDocs).toBe(false);
    expect(loadConfig({ ...production, DOCS_UI: "on" }).apiDocs).toBe(true);
    expect(loadConfig({ DOCS_UI: "off" }).apiDocs).toBe(false);
    expect(() => loadConfig({ DOCS_UI: "yes" })).toThrow(/DOCS_UI/);
  });
});

describe("/docs", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.close());

  it("when the page is loaded, then it is HTML with its own CSP and references nothing outside this server", async () => {
    const page = await stack.app.inject({ method: "GET", url: "/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toBe(DOCS_CSP);
    const references = referencesOf(page.body);
    expect(references.length).toBeGreaterThan(3);
    expect(references.filter((ref) => !ref.startsWith("/docs/static/"))).toEqual([]);
    expect(page.body).not.toMatch(/https?:\/\/|\/\/[a-z]/i);
  });

  it("when each asset the page references is loaded, then it comes from this server with the docs CSP", async () => {
    const page = await stack.app.inject({ method: "GET", url: "/docs" });
    const assets = await Promise.all(referencesOf(page.body).map((url) => stack.app.inject({ method: "GET", url })));
    expect(assets.map((a) => a.statusCode)).toEqual(assets.map(() => 200));
    expect(assets.map((a) => a.headers["content-security-policy"])).toEqual(assets.map(() => DOCS_CSP));
    const types = assets.map((a) => String(a.headers["content-type"]).split(";")[0]);
    expect(types).toEqual(expect.arrayContaining(["application/javascript", "text/css", "image/png"]));
    // The initializer is what points the page at the document.
    const initializer = assets.find((a) => a.body.includes("SwaggerUIBundle("));
    expect(initializer?.body).toContain("resolveUrl('./json')");
  });

  it("when the page reads its document, then it is the committed one, trying requests on this server", async () => {
    const committed = JSON.parse(await readFile(OPENAPI_PATH, "utf8")) as { paths: object };
    const served = (await stack.app.inject({ method: "GET", url: "/docs/json" })).json() as { paths: object; servers: unknown };
    expect(served.paths).toEqual(committed.paths);
    expect(served.servers).toEqual([{ url: "/", description: "This server" }]);
  });

  it("when the page and its document are loaded, then they carry helmet's full set, as a page a browser renders should", async () => {
    const helmet = Object.fromEntries(helmetHeaders().filter(([name]) => name !== "content-security-policy"));
    expect(Object.keys(helmet)).toEqual(expect.arrayContaining(["cross-origin-opener-policy", "referrer-policy", "x-frame-options"]));
    for (const url of ["/docs", "/docs/json"]) {
      const res = await stack.app.inject({ method: "GET", url });
      expect({ url, headers: res.headers }).toMatchObject({ url, headers: helmet });
      expect({ url, cacheControl: res.headers["cache-control"] }).toEqual({ url, cacheControl: undefined });
    }
  });

  it("when any other route answers, then it keeps the strict CSP", async () => {
    const health = await stack.app.inject({ method: "GET", url: "/healthz" });
    const unknown = await stack.app.inject({ method: "GET", url: "/v1/nothing-here" });
    expect([health.headers["content-security-policy"], unknown.headers["content-security-policy"]]).toEqual([STRICT_CSP, STRICT_CSP]);
  });
});

describe("/docs switched off", () => {
  it("when DOCS_UI=off, then /docs and its assets answer 404 in the envelope", async () => {
    const stack = await startStack({ DOCS_UI: "off" });
    try {
      const answers = await Promise.all(["/docs", "/docs/json", "/docs/static/swagger-ui.css"].map((url) => stack.app.inject({ method: "GET", url })));
      expect(answers.map((a) => [a.statusCode, a.json().error.code])).toEqual(answers.map(() => [404, "LSO_ERR_ROUTE_NOT_FOUND"]));
    } finally {
      await stack.close();
    }
  });
});
