/**
 * http/liveness.http, the request collection for editors: every request names a route that exists (in the OpenAPI
 * document, or on the emulator for the device's part), and the whole file, sent in order, runs a real flow against
 * the real server and emulator.
 */
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEmulator } from "../../src/emulator/emulator-app.js";
import { OPENAPI_PATH } from "../../scripts/openapi-document.js";
import { CLIENTS, startStack, type TestStack } from "../helpers/app-harness.js";
import { parseHttpFile, resolve, type Answers, type HttpFile } from "./http-file.js";

const COLLECTION = new URL("../../http/liveness.http", import.meta.url);

let collection: HttpFile;
let operations: Array<{ method: string; template: string; pattern: RegExp; responses: string[] }>;

beforeAll(async () => {
  collection = parseHttpFile(await readFile(COLLECTION, "utf8"));
  const document = JSON.parse(await readFile(OPENAPI_PATH, "utf8")) as { paths: Record<string, Record<string, { responses: object }>> };
  operations = Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
      responses: Object.keys(op.responses),
    })),
  );
});

/** The path of a request as written, with its variables standing for a path segment each. */
const pathOf = (url: string, base: string) => url.slice(base.length).split("?")[0]!.replace(/\{\{[^}]+\}\}/g, "x");

describe("http/liveness.http", () => {
  it("when parsed, then it declares the base URL, the emulator URL and the dev key at the top, and every request has a name", () => {
    expect([...collection.variables.keys()].slice(0, 3)).toEqual(["baseUrl", "emulatorUrl", "apiKey"]);
    expect(collection.requests.length).toBe(12);
    expect(collection.requests.filter((r) => r.name.startsWith("#"))).toEqual([]);
  });

  it("when each API request is looked up, then its method and path are an operation of the OpenAPI document", () => {
    const api = collection.requests.filter((r) => r.url.startsWith("{{baseUrl}}"));
    expect(api.length).toBe(10);
    const missing = api.filter((r) => !operations.some((op) => op.method === r.method && op.pattern.test(pathOf(r.url, "{{baseUrl}}"))));
    expect(missing.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it("when each device request is looked up, then it is a route of the emulator", async () => {
    const device = collection.requests.filter((r) => r.url.startsWith("{{emulatorUrl}}"));
    expect(device.map((r) => r.name)).toEqual(["deviceLiveness", "deviceVerify"]);
    const emulator = await buildEmulator({});
    try {
      expect(device.map((r) => emulator.hasRoute({ method: r.method as "POST", url: pathOf(r.url, "{{emulatorUrl}}") }))).toEqual([true, true]);
    } finally {
      await emulator.close();
    }
  });
});

describe("http/liveness.http, sent in order", () => {
  let stack: TestStack;
  let baseUrl: string;
  beforeAll(async () => {
    stack = await startStack();
    await stack.app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => stack?.close());

  it("when every request is sent against the server and its emulator, then the flow ends with both sessions approved and deleted", { timeout: 60_000 }, async () => {
    // The file's own values, but this test's server, emulator and key.
    const variables = new Map([...collection.variables, ["baseUrl", baseUrl], ["emulatorUrl", stack.emulator.url], ["apiKey", CLIENTS.acme.key]]);
    const answers: Answers = new Map();
    const seen: string[] = [];
    for (const request of collection.requests) {
      const url = resolve(request.url, variables, answers);
      const headers = request.headers.map(([name, value]) => [name, resolve(value, variables, answers)] as [string, string]);
      const body = request.body === undefined ? undefined : resolve(request.body, variables, answers);
      const response = await fetch(url, { method: request.method, headers, body });
      const text = await response.text();
      answers.set(request.name, text ? JSON.parse(text) : undefined);
      const operation = operations.find((op) => op.method === request.method && op.pattern.test(new URL(url).pathname));
      const documented = url.startsWith(stack.emulator.url) || operation?.responses.includes(String(response.status));
      seen.push(`${request.name} ${response.status}${documented ? "" : " (undocumented)"}`);
    }
    expect(seen).toEqual([
      "readiness 200",
      "createLiveness 201",
      "deviceLiveness 200",
      "completeLiveness 200",
      "readLiveness 200",
      "livenessEvents 200",
      "livenessAudit 200",
      "createVerify 201",
      "deviceVerify 200",
      "completeVerify 200",
      "deleteLiveness 204",
      "deleteVerify 204",
    ]);
    const outcome = (name: string) => (answers.get(name) as { decision: { outcome: string } }).decision.outcome;
    expect([outcome("completeLiveness"), outcome("readLiveness"), outcome("completeVerify")]).toEqual(["approved", "approved", "approved"]);
  });
});
