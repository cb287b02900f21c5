/**
 * Property-based hostile free text: control and bidi characters anywhere in subject, deviceCorrelationId and
 * callbackUrl, in JSON and multipart; over-long callback URLs; and, the other way round, text in any script that must
 * still be accepted. Refusals name the field and never reach Face.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth } from "../helpers/app-harness.js";
import { rawMultipart } from "../helpers/emulator-client.js";
import { allowedText, textWithForbidden } from "./hostile-text-arbitraries.js";
import { expectCreated, type HostileStack, runParameters, shrinkWithinBudget, startHostileStack } from "./hostile-oracle.js";

/** Cases per property. */
const RUNS = { forbidden: 400, allowed: 150, longUrl: 100 } as const;

let stack: HostileStack;
beforeAll(async () => {
  stack = await startHostileStack();
});
afterAll(async () => stack.close());

type Encoding = "json" | "multipart";

function create(encoding: Encoding, fields: Record<string, string>) {
  const body = { kind: "liveness", ...fields };
  if (encoding === "json") return stack.send({ method: "POST", url: "/v1/sessions", headers: auth(), payload: body }, JSON.stringify(body).slice(0, 300));
  const form = rawMultipart(Object.entries(body).map(([name, value]) => ({ name, value })));
  return stack.send({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "content-type": form.contentType }, payload: form.body }, JSON.stringify(body).slice(0, 300));
}

const faceCreates = () => stack.emulator.state.requestCount("createLivenessSession");
const fieldsOf = (body: string) => (JSON.parse(body) as { error: { fields?: Array<{ path: string; message: string }> } }).error.fields ?? [];

const encoding = fc.constantFrom<Encoding>("json", "multipart");

describe("hostile free text", () => {
  it(`when a free-text field holds a control or bidi character (${RUNS.forbidden} cases), then 400 names that field and Face is not called`, async () => {
    const input = fc.oneof(
      fc.record({ field: fc.constant("subject"), value: textWithForbidden(128) }),
      fc.record({ field: fc.constant("deviceCorrelationId"), value: textWithForbidden(64) }),
      fc.record({ field: fc.constant("callbackUrl"), value: textWithForbidden(200).map((t) => `https://hooks.example.com/${t}`) }),
    );
    await fc.assert(
      fc.asyncProperty(input, encoding, shrinkWithinBudget(async ({ field, value }, how) => {
        const before = faceCreates();
        const answer = await create(how, { [field]: value });
        expect(answer.statusCode, answer.body).toBe(400);
        expect(fieldsOf(answer.body).map((f) => f.path), answer.body).toContain(`body.${field}`);
        expect(faceCreates()).toBe(before);
      })),
      runParameters(RUNS.forbidden),
    );
    await stack.expectHealthy();
  }, 60_000);

  it(`when subject and deviceCorrelationId are text in any script, emoji or joiners (${RUNS.allowed} cases), then the session is created`, async () => {
    await fc.assert(
      fc.asyncProperty(allowedText(128), allowedText(64), encoding, shrinkWithinBudget(async (subject, deviceCorrelationId, how) => {
        const answer = await create(how, { subject, deviceCorrelationId });
        expect(answer.statusCode, answer.body).toBe(201);
        expectCreated(answer, "free-text create");
      })),
      runParameters(RUNS.allowed),
    );
    await stack.expectHealthy();
  }, 60_000);

  it(`when a callbackUrl is longer than 2048 characters (${RUNS.longUrl} cases), then 400 says the limit, whatever the encoding`, async () => {
    const longUrl = fc
      .tuple(fc.integer({ min: 2049 - 26, max: 12_000 }), fc.constantFrom("a", "é", "日", "%41"))
      .map(([n, unit]) => `https://hooks.example.com/${unit.repeat(Math.ceil(n / unit.length))}`);
    await fc.assert(
      fc.asyncProperty(longUrl, encoding, shrinkWithinBudget(async (callbackUrl, how) => {
        const answer = await create(how, { callbackUrl });
        expect(answer.statusCode, answer.body).toBe(400);
        expect(fieldsOf(answer.body)).toContainEqual({ path: "body.callbackUrl", message: "must be at most 2048 characters" });
      })),
      runParameters(RUNS.longUrl),
    );
    await stack.expectHealthy();
  }, 60_000);
});
