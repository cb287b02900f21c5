/**
 * The document against the running app: every operation is sent the requests any client may get wrong (no key,
 * an unknown or malformed id, a body of the wrong type, broken or too large), and each answer must be a status that
 * operation documents, in the envelope, with the headers the document promises on every answer.
 */
import { readFile } from "node:fs/promises";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorEnvelopeSchema } from "../../src/plugins/error-envelope.js";
import { OPENAPI_PATH } from "../../scripts/openapi-document.js";
import { auth, startStack, type TestStack } from "../helpers/app-harness.js";

const ADMIN_KEY = "operator-key-0123456789abcdef";
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
/** Above create's 9 MiB body limit, so above every route's. */
const TOO_LARGE = JSON.stringify({ padding: "x".repeat(10 * 1024 * 1024) });

interface Operation {
  operationId: string;
  security: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
}

let operations: Array<{ method: string; path: string; op: Operation }>;
let stack: TestStack;

beforeAll(async () => {
  const document = JSON.parse(await readFile(OPENAPI_PATH, "utf8")) as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
  stack = await startStack({ ADMIN_API_KEYS: `ops:${ADMIN_KEY}` });
});
afterAll(async () => stack?.close());

const urlOf = (path: string, id = UNKNOWN_ID) =>
  path.replace("{id}", id).replace("{clientId}", "acme") + (path.startsWith("/admin/") ? "?subject=user-1" : "");

const keyFor = (path: string) => (path.startsWith("/admin/") ? { "x-admin-key": ADMIN_KEY } : path.startsWith("/v1/") ? auth() : {});

/** Sends one request and returns what is wrong with the answer, if anything. */
async function problemsOf(label: string, op: Operation, request: InjectOptions): Promise<string[]> {
  const answer = await stack.app.inject(request);
  const where = `${op.operationId} ${label}: ${answer.statusCode}`;
  const problems: string[] = [];
  if (!(String(answer.statusCode) in op.responses)) problems.push(`${where} is not documented`);
  if (!answer.headers["ratelimit-limit"] || !answer.headers["x-request-id"]) problems.push(`${where} lacks x-request-id or RateLimit-*`);
  const envelope = errorEnvelopeSchema.safeParse(answer.json());
  if (!envelope.success) problems.push(`${where} is not the envelope`);
  else if (envelope.data.error.requestId !== answer.headers["x-request-id"]) problems.push(`${where} has another request id in its body`);
  return problems;
}

describe("the OpenAPI document against the app", () => {
  it("when a secured operation is called without its key, then the answer is documented", async () => {
    // A requirement list with an empty entry ({}) makes the key optional (/readyz): not secured.
    const secured = operations.filter(({ op }) => op.security.length > 0 && op.security.every((s) => Object.keys(s).length > 0));
    expect(secured.length).toBe(12);
    const problems = await Promise.all(secured.map(({ method, path, op }) => problemsOf("without a key", op, { method: method.toUpperCase() as "GET", url: urlOf(path) })));
    expect(problems.flat()).toEqual([]);
  });

  it("when an operation names an unknown or malformed session id, then the answer is documented", async () => {
    const withId = operations.filter(({ path }) => path.includes("{id}"));
    expect(withId.length).toBe(7);
    const problems = await Promise.all(
      withId.flatMap(({ method, path, op }) =>
        [UNKNOWN_ID, "not-a-session-id"].map((id) => {
          const request: InjectOptions = { method: method.toUpperCase() as "GET", url: urlOf(path, id), headers: keyFor(path) };
          // complete needs a valid body to get as far as the id.
          if (op.operationId === "completeSession") request.payload = { clientDigest: "ab".repeat(16) };
          return problemsOf(`for id ${id}`, op, request);
        }),
      ),
    );
    expect(problems.flat()).toEqual([]);
  });

  it("when a POST or DELETE gets a wrong, broken or too large body, then the answer is documented", async () => {
    const withBody = operations.filter(({ method }) => method === "post" || method === "delete");
    expect(withBody.length).toBe(6);
    const bodies: Array<[string, string, string]> = [
      ["text/plain", "hello", "a text body"],
      ["application/json", "{", "broken JSON"],
      ["application/json", TOO_LARGE, "a 10 MiB body"],
    ];
    const problems: string[] = [];
    for (const { method, path, op } of withBody) {
      for (const [type, payload, label] of bodies) {
        const request: InjectOptions = { method: method.toUpperCase() as "POST", url: urlOf(path), headers: { ...keyFor(path), "content-type": type }, payload };
        problems.push(...(await problemsOf(`with ${label}`, op, request)));
      }
    }
    expect(problems).toEqual([]);
  });

  it("when the admin scope is off, then its 404 is documented", async () => {
    const off = await startStack();
    try {
      const admin = operations.filter(({ path }) => path.startsWith("/admin/"));
      const problems = await Promise.all(
        admin.map(async ({ method, path, op }) => {
          const answer = await off.app.inject({ method: method.toUpperCase() as "GET", url: urlOf(path), headers: { "x-admin-key": ADMIN_KEY } });
          return `${op.operationId} ${answer.statusCode} ${answer.json().error.code} documented: ${String(answer.statusCode) in op.responses}`;
        }),
      );
      expect(problems).toEqual(["getLockout 404 LSO_ERR_ROUTE_NOT_FOUND documented: true", "clearLockout 404 LSO_ERR_ROUTE_NOT_FOUND documented: true"]);
    } finally {
      await off.close();
    }
  });
});
