/**
 * Property-based hostile paths: session ids with traversal, encoded and double-encoded slashes, dots, NUL, CRLF,
 * SQL and NoSQL fragments, very long and unicode ids; odd prefixes, suffixes and query strings; every method.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, type CLIENTS } from "../helpers/app-harness.js";
import { caseMixed, hostileMethod, idSegment, queryString, routePrefix, routeSuffix } from "./hostile-path-arbitraries.js";
import { type HostileStack, runParameters, shrinkWithinBudget, startHostileStack } from "./hostile-oracle.js";

/** Cases per property; together with the other files in this folder, over 5 000. */
const RUNS = { ids: 1_200, unauthenticated: 300, caseMixed: 150 } as const;

let stack: HostileStack;
beforeAll(async () => {
  stack = await startHostileStack();
});
afterAll(async () => stack.close());

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

describe("hostile session ids, paths and methods", () => {
  it(`when a session route gets any id, suffix, query and method (${RUNS.ids} cases), then only a real own session answers 2xx`, async () => {
    const request = fc.record({
      method: hostileMethod,
      prefix: routePrefix,
      id: fc.constant(null).chain(() => idSegment(stack.realIds)),
      suffix: routeSuffix,
      query: queryString,
      client: fc.constantFrom<keyof typeof CLIENTS>("acme", "acme", "globex"),
    });
    await fc.assert(
      fc.asyncProperty(request, shrinkWithinBudget(async (r) => {
        // Never delete the fixtures (however their id is spelled): other cases aim at them.
        const spelled = safeDecode(r.id).toLowerCase();
        const method = r.method === "DELETE" && stack.realIds.some((id) => spelled.includes(id)) ? "GET" : r.method;
        const url = `${r.prefix}${r.id}${r.suffix}${r.query}`;
        const answer = await stack.send({ method, url, headers: auth(r.client) }, `client=${r.client}`);
        if (answer.statusCode < 300) {
          // A 2xx is only for an exact route with a well-formed id that the caller owns.
          const own = r.client === "acme" ? [stack.ids.ownWithImage, stack.ids.ownVerify] : [stack.ids.othersSession];
          // Dot segments are resolved as any URL resolver would ("/v1/./sessions/" is "/v1/sessions/", and
          // "<id>//../image" is "<id>/image"), so the id that counts is the one in the resolved path.
          const resolved = /^\/v1\/sessions\/([^/]+)/.exec(new URL(url, "http://x").pathname);
          expect(resolved, url).not.toBeNull();
          const id = safeDecode(resolved![1]!);
          expect(GUID.test(id) && own.includes(id.toLowerCase()), `2xx for ${method} ${url}`).toBe(true);
        }
      })),
      runParameters(RUNS.ids),
    );
    await stack.expectHealthy();
  }, 60_000);

  it(`when the owner spells its session id in any mix of case (${RUNS.caseMixed} cases), then every read finds it, under its lower-case id`, async () => {
    const own = [stack.ids.ownWithImage, stack.ids.ownVerify];
    const request = fc.record({
      spelled: fc.constantFrom(...own).chain((id) => caseMixed(id).map((spelling) => ({ id, spelling }))),
      suffix: fc.constantFrom("", "/events", "/audit"),
    });
    await fc.assert(
      fc.asyncProperty(request, shrinkWithinBudget(async ({ spelled, suffix }) => {
        const answer = await stack.send({ method: "GET", url: `/v1/sessions/${spelled.spelling}${suffix}`, headers: auth() }, spelled.spelling);
        expect(answer.statusCode, answer.body).toBe(200);
        if (suffix === "") expect((JSON.parse(answer.body) as { id: string }).id).toBe(spelled.id);
      })),
      runParameters(RUNS.caseMixed),
    );
    await stack.expectHealthy();
  }, 60_000);

  it(`when a session route is called without a key (${RUNS.unauthenticated} cases), then nothing but 4xx comes back, whatever the id`, async () => {
    const request = fc.record({ method: hostileMethod, id: fc.constant(null).chain(() => idSegment(stack.realIds)), suffix: routeSuffix, query: queryString });
    await fc.assert(
      fc.asyncProperty(request, shrinkWithinBudget(async (r) => {
        const answer = await stack.send({ method: r.method, url: `/v1/sessions/${r.id}${r.suffix}${r.query}` }, "no key");
        expect(answer.statusCode, answer.body).toBeGreaterThanOrEqual(400);
      })),
      runParameters(RUNS.unauthenticated),
    );
    await stack.expectHealthy();
  }, 60_000);
});
