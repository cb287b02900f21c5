/**
 * The security review's hostile inputs that the property suites do not already aim at, each a row of a table driven
 * by one helper (the oracle's property, then the row's own expectation, and no Face create for a refusal): an API
 * key in the query instead of the header; callback targets in the special-purpose ranges and on other ports;
 * control and bidi characters in the free-text fields outside the create body's top level (consent, the erasure and
 * lockout routes); a client flooding past its live-session cap; a receiver's hostile Retry-After; and a client that
 * pipelines and never reads. The logs are checked for secrets after every row (expectHealthy).
 */
import { connect, type AddressInfo } from "node:net";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backoffMs, nextStep } from "../../src/webhooks/webhook-retry.js";
import { auth, CLIENTS } from "../helpers/app-harness.js";
import { SECRET_NEW } from "../webhooks/webhook-kit.js";
import { ANSWER_TIMEOUT_MS, OPERATOR_KEY, runParameters, startHostileStack, type Answer, type HostileStack } from "./hostile-oracle.js";

/** The cap globex gets here; it holds one live session from the stack's start. */
const GLOBEX_MAX_LIVE = 2;
const PIPELINE_LIMIT = 5;

let stack: HostileStack;
beforeAll(async () => {
  stack = await startHostileStack({
    WEBHOOK_SECRET: SECRET_NEW,
    HTTP_MAX_REQUESTS_PER_SOCKET: String(PIPELINE_LIMIT),
    CLIENT_POLICIES: JSON.stringify({
      "*": { rateLimitPerMinute: 1_000_000, maxLiveSessions: 1_000_000 },
      globex: { rateLimitPerMinute: 1_000_000, maxLiveSessions: GLOBEX_MAX_LIVE },
    }),
  });
});
afterAll(async () => stack.close());

const faceCreates = () => stack.emulator.state.requestCount("createLivenessSession");
const consent = { noticeVersion: "2026-03", consentedAt: new Date().toISOString(), method: "checkbox" };
const admin = { "x-admin-key": OPERATOR_KEY };

interface Refusal {
  name: string;
  request: () => InjectOptions;
  status: number;
  code: string;
  /** The failing field the refusal must name, for validation errors. */
  field?: string;
}

/** Sends the row's request, holds it to the oracle's property and to its own answer, and checks Face was not asked. */
async function expectRefused(row: Refusal): Promise<Answer> {
  const before = faceCreates();
  const answer = await stack.send(row.request(), row.name);
  expect(answer.statusCode, answer.body).toBe(row.status);
  const { error } = JSON.parse(answer.body) as { error: { code: string; fields?: Array<{ path: string }> } };
  expect(error.code).toBe(row.code);
  if (row.field !== undefined) expect((error.fields ?? []).map((f) => f.path)).toContain(row.field);
  expect(faceCreates(), "a refused request costs Face nothing").toBe(before);
  return answer;
}

const createWith = (fields: Record<string, unknown>) => (): InjectOptions => ({
  method: "POST",
  url: "/v1/sessions",
  headers: auth(),
  payload: { kind: "liveness", ...fields },
});

const refusals: Refusal[] = [
  ...["GET /v1/sessions/{id}", "GET /v1/sessions", "POST /v1/sessions", "DELETE /v1/sessions/{id}"].map((route): Refusal => {
    const [method, path] = route.split(" ") as ["GET" | "POST" | "DELETE", string];
    return {
      name: `an API key in the query instead of the header: ${route}?x-api-key=`,
      request: () => ({ method, url: `${path.replace("{id}", stack.ids.ownWithImage)}?x-api-key=${CLIENTS.acme.key}`, ...(method === "POST" && { payload: { kind: "liveness" } }) }),
      status: 401,
      code: "LSO_ERR_UNAUTHORIZED",
    };
  }),
  ...[
    ["IPv4-translated ::ffff:0:a.b.c.d", "https://[::ffff:0:8.8.8.8]/hook"],
    ["local-use NAT64 64:ff9b:1::/48", "https://[64:ff9b:1::8.8.8.8]/hook"],
    ["documentation 3fff::/20", "https://[3fff::1]/hook"],
    ["SRv6 SIDs 5f00::/16", "https://[5f00::1]/hook"],
    ["6to4 relay anycast 192.88.99.0/24", "https://192.88.99.1/hook"],
    ["a port other than 443", "https://hooks.example.com:8443/hook"],
    ["port 80 spelled out on https", "https://hooks.example.com:80/hook"],
  ].map(([what, callbackUrl]): Refusal => ({
    name: `a callbackUrl to ${what}`,
    request: createWith({ callbackUrl }),
    status: 400,
    code: "LSO_ERR_VALIDATION",
    field: "body.callbackUrl",
  })),
  ...[
    ["NUL", "\u0000"],
    ["right-to-left override", "\u202e"],
    ["line separator", "\u2028"],
  ].flatMap(([what, char]): Refusal[] => [
    { name: `consent.noticeVersion with a ${what}`, request: createWith({ consent: { ...consent, noticeVersion: `v4${char}` } }), status: 400, code: "LSO_ERR_VALIDATION", field: "body.consent.noticeVersion" },
    { name: `consent.reference with a ${what}`, request: createWith({ consent: { ...consent, reference: `ref${char}1` } }), status: 400, code: "LSO_ERR_VALIDATION", field: "body.consent.reference" },
    {
      name: `an erasure of a subject with a ${what}`,
      request: () => ({ method: "DELETE", url: `/v1/subjects/${encodeURIComponent(`user${char}1`)}`, headers: auth() }),
      status: 400,
      code: "LSO_ERR_VALIDATION",
      field: "params.subject",
    },
    {
      name: `a lockout lookup by subject with a ${what}`,
      request: () => ({ method: "GET", url: `/admin/lockouts/acme?subject=${encodeURIComponent(`user${char}1`)}`, headers: admin }),
      status: 400,
      code: "LSO_ERR_VALIDATION",
      field: "querystring.subject",
    },
    {
      name: `a lockout clearance by deviceCorrelationId with a ${what}`,
      request: () => ({ method: "DELETE", url: `/admin/lockouts/acme?deviceCorrelationId=${encodeURIComponent(`dev${char}1`)}`, headers: admin }),
      status: 400,
      code: "LSO_ERR_VALIDATION",
      field: "querystring.deviceCorrelationId",
    },
  ]),
];

describe("hostile inputs of the security review", () => {
  it.each(refusals)("when $name, then it is refused in the envelope and Face is not called", async (row) => {
    await expectRefused(row);
    await stack.expectHealthy();
  });

  it("when a client floods creates past its live-session cap, then the ones over it answer 429 LSO_ERR_TOO_MANY_LIVE_SESSIONS with Retry-After and never reach Face", async () => {
    const before = faceCreates();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => stack.send({ method: "POST", url: "/v1/sessions", headers: auth("globex"), payload: { kind: "liveness", deviceCorrelationId: `flood-${i}` } }, "flood")),
    );
    const refused = answers.filter((a) => a.statusCode === 429);
    // One live session from the stack's start: one slot is left.
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(GLOBEX_MAX_LIVE - 1);
    expect(refused).toHaveLength(6 - (GLOBEX_MAX_LIVE - 1));
    for (const answer of refused) {
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "LSO_ERR_TOO_MANY_LIVE_SESSIONS" } });
      expect(Number(answer.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    expect(faceCreates() - before).toBe(GLOBEX_MAX_LIVE - 1);
  });

  it("when a receiver answers 429 or 503 with any Retry-After (0, negative, past dates, garbage), then the next attempt is never sooner than the schedule", () => {
    const now = Date.parse("2026-06-01T12:00:00Z");
    const header = fc.oneof(
      fc.constantFrom("0", "00", "-1", "-0", " 0 ", "0.5", "1e9", "", "Thu, 01 Jan 1970 00:00:00 GMT", "Infinity", "NaN", "\u0000"),
      fc.date({ min: new Date(0), max: new Date(now), noInvalidDate: true }).map((d) => d.toUTCString()),
      fc.integer({ min: -1_000_000, max: 0 }).map(String),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(header, fc.constantFrom(429, 503), fc.integer({ min: 1, max: 40 }), (retryAfter, statusCode, attemptInSeries) => {
        const random = () => 0.5;
        const step = nextStep({ statusCode, retryAfter }, { now, seriesStartedAt: now, attemptInSeries, random });
        // A hint past the 24-hour window ends the series ("failed"): that is never sooner either.
        const delay = step.state === "pending" ? step.dueAt! - now : Infinity;
        expect(delay).toBeGreaterThanOrEqual(backoffMs(attemptInSeries, random));
      }),
      runParameters(300),
    );
  });

  it("when a client pipelines requests for the OpenAPI document and never reads, then the server stops at the per-connection limit, closes the socket, and serves others meanwhile", async () => {
    await stack.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = stack.app.server.address() as AddressInfo;
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let hungUp = false;
    // A bound on the wait, not a measurement: a server that kept the connection open would fail here, not hang.
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => {
      hungUp = true;
      socket.destroy();
    });
    const closed = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("end", () => socket.end());
      // The server may reset the connection with answers unread (the kernel then drops them): closed all the same.
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
    });
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    // Never reading while the server answers: paused, nothing is taken off the socket.
    socket.pause();
    socket.write("GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(50));
    // The stuck client holds no one else up.
    const other = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(other.status).toBe(200);
    socket.resume();
    await closed;
    expect(hungUp, "the server closed the connection itself").toBe(false);
    const statuses = Buffer.concat(chunks).toString("latin1").match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
    expect(statuses.filter((s) => s.endsWith("200")).length).toBeLessThanOrEqual(PIPELINE_LIMIT);
    await stack.expectHealthy();
  });
});
