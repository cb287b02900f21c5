/**
 * GET /v1/sessions over the real stack (API + emulator over HTTP): isolation between clients, every filter, and the
 * hostile query strings that must each answer 400 in the envelope, never a 500 and never an unfiltered list.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CLIENTS} from "../helpers/app-harness.js";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

let stack: TestStack;
const created: Record<string, { id: string; authToken: string; createdAt: string }> = {};

const list = (query = "", client: keyof typeof CLIENTS = "acme") =>
  stack.app.inject({ method: "GET", url: `/v1/sessions${query}`, headers: auth(client) });
const idsOf = (res: { json(): { items: Array<{ id: string }> } }) => res.json().items.map((i) => i.id);

beforeAll(async () => {
  // No background watcher: the Face-call count below must see only what the requests themselves cause.
  stack = await startStack({ SESSION_WATCH_INTERVAL_MS: "0" });
  const make = async (name: string, body: Record<string, unknown>, client: keyof typeof CLIENTS = "acme") => {
    const res = await createSession(stack.app, body, client);
    expect(res.statusCode).toBe(201);
    created[name] = res.json();
  };
  await make("approved", { kind: "liveness", subject: "alice" });
  await make("declined", { kind: "liveness", subject: "alice" });
  await make("pendingBob", { kind: "liveness", subject: "bob" });
  await make("verify", { kind: "livenessWithVerify", subject: "alice", verifyImage: makeTestJpeg().toString("base64") });
  await make("globexAlice", { kind: "liveness", subject: "alice" }, "globex");
  await make("globexOther", { kind: "liveness" }, "globex");

  const real = await emulatorDeviceAttempt<{ digest: string }>(stack.emulator.url, "liveness", created.approved!.authToken, { livenessDecision: "realface" });
  const complete = await stack.app.inject({
    method: "POST",
    url: `/v1/sessions/${created.approved!.id}/complete`,
    headers: auth(),
    payload: { clientDigest: real.body.digest },
  });
  expect(complete.json().decision.outcome).toBe("approved");
  await emulatorDeviceAttempt(stack.emulator.url, "liveness", created.declined!.authToken, { livenessDecision: "spoofface" });
  expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.declined!.id}`, headers: auth() })).json().decision.outcome).toBe("declined");
});
afterAll(async () => stack.close());

describe("GET /v1/sessions", () => {
  it("when a client lists, then it sees its own sessions only, newest first, and no auth token", async () => {
    const acme = await list();
    expect(acme.statusCode).toBe(200);
    expect(acme.headers["cache-control"]).toBe("no-store");
    const items = acme.json().items as Array<{ id: string; createdAt: string }>;
    expect(new Set(items.map((i) => i.id))).toEqual(new Set([created.approved!.id, created.declined!.id, created.pendingBob!.id, created.verify!.id]));
    const newestFirst = [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    expect(items.map((i) => i.id)).toEqual(newestFirst.map((i) => i.id));
    expect(acme.json().nextCursor).toBeNull();
    for (const session of Object.values(created)) expect(acme.body).not.toContain(session.authToken);

    expect(new Set(idsOf(await list("", "globex")))).toEqual(new Set([created.globexAlice!.id, created.globexOther!.id]));
  });

  it("when filtering by subject, then only that subject's sessions of the caller come back", async () => {
    expect(new Set(idsOf(await list("?subject=alice")))).toEqual(new Set([created.approved!.id, created.declined!.id, created.verify!.id]));
    expect(idsOf(await list("?subject=alice", "globex"))).toEqual([created.globexAlice!.id]);
    expect(idsOf(await list("?subject=nobody"))).toEqual([]);
  });

  it("when filtering by kind and outcome, then each summary matches and carries its decision", async () => {
    expect(idsOf(await list("?kind=livenessWithVerify"))).toEqual([created.verify!.id]);
    const approved = (await list("?outcome=approved")).json();
    expect(approved.items).toEqual([
      expect.objectContaining({ id: created.approved!.id, outcome: "approved", status: "succeeded", attemptCount: 1, subject: "alice" }),
    ]);
    expect(approved.items[0].decidedAt).not.toBeNull();
    expect(idsOf(await list("?outcome=declined"))).toEqual([created.declined!.id]);
    expect(new Set(idsOf(await list("?outcome=pending")))).toEqual(new Set([created.pendingBob!.id, created.verify!.id]));
    expect(idsOf(await list("?outcome=approved", "globex"))).toEqual([]);
  });

  it("when a creation range is given, then it bounds the list", async () => {
    const from = encodeURIComponent(created.approved!.createdAt);
    const all = idsOf(await list(`?createdFrom=${from}`));
    expect(all).toContain(created.approved!.id);
    expect(idsOf(await list(`?createdTo=${from}`))).not.toContain(created.approved!.id);
    expect(idsOf(await list("?createdFrom=2000-01-01T00:00:00Z&createdTo=2000-01-02T00:00:00%2B02:00"))).toEqual([]);
  });

  it("when paging with limit 1, then the cursor walks every session once and ends with null", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`?subject=alice&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode).toBe(200);
      seen.push(...idsOf(res));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect(new Set(seen)).toEqual(new Set([created.approved!.id, created.declined!.id, created.verify!.id]));
  });

  it("when another client replays a cursor, then it still sees only its own sessions", async () => {
    const acmePage = (await list("?limit=1")).json();
    const res = await list(`?limit=1&cursor=${acmePage.nextCursor}`, "globex");
    expect(res.statusCode).toBe(200);
    for (const id of idsOf(res)) expect([created.globexAlice!.id, created.globexOther!.id]).toContain(id);
  });

  it("when listing, then Face is never called", async () => {
    const before = JSON.stringify(stack.emulator.state.requestCounts());
    await list();
    await list("?outcome=pending");
    expect(JSON.stringify(stack.emulator.state.requestCounts())).toBe(before);
  });

  it("when the API key is missing, then 401 in the envelope", async () => {
    const res = await stack.app.inject({ method: "GET", url: "/v1/sessions" });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("LSO_ERR_UNAUTHORIZED");
  });

  const forged = Buffer.from(JSON.stringify({ v: 1, t: 1, i: "not-a-guid", f: "x" })).toString("base64url");
  const hostile: Array<[string, string, string]> = [
    ["limit of 0", "?limit=0", "limit"],
    ["limit above 100", "?limit=101", "limit"],
    ["huge limit", "?limit=99999999999999999999", "limit"],
    ["limit in exponent form beyond the maximum", "?limit=1e9", "limit"],
    ["negative limit", "?limit=-5", "limit"],
    ["fractional limit", "?limit=2.5", "limit"],
    ["non-numeric limit", "?limit=ten", "limit"],
    ["garbage cursor", "?cursor=%%%25not-base64", "cursor"],
    ["cursor that decodes to no JSON", `?cursor=${Buffer.from("hello").toString("base64url")}`, "cursor"],
    ["cursor with a forged shape", `?cursor=${forged}`, "cursor"],
    ["overlong cursor", `?cursor=${"A".repeat(5000)}`, "cursor"],
    ["empty cursor", "?cursor=", "cursor"],
    ["date without a time", "?createdFrom=2026-01-01", "createdFrom"],
    ["impossible date", "?createdFrom=2026-13-45T00:00:00Z", "createdFrom"],
    ["date without a zone", "?createdTo=2026-01-01T00:00:00", "createdTo"],
    ["epoch number as date", "?createdFrom=1767225600000", "createdFrom"],
    ["range the wrong way round", "?createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z", "createdTo"],
    ["unknown outcome", "?outcome=maybe", "outcome"],
    ["unknown kind", "?kind=selfie", "kind"],
    ["subject given twice", "?subject=a&subject=b", "subject"],
    ["overlong subject", `?subject=${"s".repeat(129)}`, "subject"],
    ["misspelt filter", "?subjet=alice", ""],
    ["prototype key as a filter", "?__proto__=x", ""],
  ];
  it.each(hostile)("when the query has a %s, then 400 LSO_ERR_VALIDATION names the field", async (_name, query, field) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe("LSO_ERR_VALIDATION");
    expect(error.requestId).toBe(res.headers["x-request-id"]);
    expect(error.fields.map((f: { path: string }) => f.path)).toContain(field ? `querystring.${field}` : "querystring");
  });
});
