/** Hardening: security headers, no CORS, rate limits per IP and per client, proxy trust, server timeouts. */
import { get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/lib/clock.js";
import { API_SECURITY_HEADERS, helmetHeaders } from "../../src/plugins/security.js";
import { StateUnavailableError } from "../../src/state/state-errors.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { auth, CLIENTS, startStack, type TestStack } from "../helpers/app-harness.js";

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("security headers and CORS", () => {
  it("when any route answers, then it carries the API's headers: no-store and a CSP that allows nothing", async () => {
    stack = await startStack();
    const res = await stack.app.inject({ method: "GET", url: "/v1/sessions/6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", headers: auth() });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["content-security-policy"]).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=/);
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("when answers of every kind are sent (200, 400, 401, 404, 429), then each carries the OWASP REST set and none of helmet's HTML-only headers", async () => {
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "4" });
    const htmlOnly = helmetHeaders()
      .map(([name]) => name)
      .filter((name) => !(name in API_SECURITY_HEADERS));
    // What the API leaves out is helmet's page-only set: not an empty list that would make the check below vacuous.
    expect(htmlOnly).toEqual(expect.arrayContaining(["cross-origin-opener-policy", "cross-origin-resource-policy", "referrer-policy", "x-xss-protection"]));
    const answers = [];
    for (const [url, headers] of [["/healthz", {}], ["/v1/sessions/x", {}], ["/nowhere", {}], ["/openapi.json", {}], ["/v1/sessions/x", auth()]] as const) {
      answers.push(await stack.app.inject({ method: "GET", url, headers }));
    }
    const limited = await stack.app.inject({ method: "GET", url: "/nowhere" });
    answers.push(limited);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 200, 400, 429]);
    for (const res of answers) {
      expect(res.headers).toMatchObject({ ...API_SECURITY_HEADERS, "x-request-id": expect.any(String) });
      expect(Object.keys(res.headers).filter((name) => htmlOnly.includes(name))).toEqual([]);
    }
  });

  it("when a browser sends a CORS preflight, then no Access-Control header is granted", async () => {
    stack = await startStack();
    const res = await stack.app.inject({
      method: "OPTIONS",
      url: "/v1/sessions",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.statusCode).toBe(404);
    expect(Object.keys(res.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });
});

describe("rate limits", () => {
  // Windows follow the wall clock (rate-limiter-flexible); that a window ends is the RateLimitStore contract's test.
  it("when a client exceeds its policy's limit, then 429 with Retry-After and RateLimit headers, and other clients are unaffected", async () => {
    stack = await startStack({ CLIENT_POLICIES: JSON.stringify({ acme: { rateLimitPerMinute: 3 } }) });
    const url = "/v1/sessions/6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await stack.app.inject({ method: "GET", url, headers: auth("acme") }));
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404, 429]);
    expect(answers[0]!.headers["ratelimit-limit"]).toBe("3");
    expect(answers[0]!.headers["ratelimit-remaining"]).toBe("2");
    const limited = answers[3]!;
    expect(limited.json().error.code).toBe("LSO_ERR_RATE_LIMITED");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.headers["ratelimit-remaining"]).toBe("0");

    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(60);
    expect((await stack.app.inject({ method: "GET", url, headers: auth("globex") })).statusCode).toBe(404);
  });

  /** GET over a real connection: the status, the header names in the order they were written, the RateLimit values. */
  const rawGet = async (path: string, headers: Record<string, string>) => {
    if (!stack!.app.server.listening) await stack!.app.listen({ port: 0, host: "127.0.0.1" });
    const origin = `http://127.0.0.1:${(stack!.app.server.address() as AddressInfo).port}`;
    const res = await new Promise<IncomingMessage>((resolve, reject) => get(`${origin}${path}`, { headers }, resolve).on("error", reject));
    res.resume();
    const names = res.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    const value = (name: string) => res.headers[name] as string | undefined;
    return { status: res.statusCode, names, limit: value("ratelimit-limit"), remaining: value("ratelimit-remaining"), reset: value("ratelimit-reset") };
  };
  /** What every answer on /v1 starts with, before the route's own (ETag, Content-Type, ...). */
  const LEADING_HEADERS = [
    "x-request-id",
    "cache-control",
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
  ];

  it("when a /v1 request fails authentication, then its RateLimit headers are the per-IP limit's, in the place an authenticated answer has the client's", async () => {
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "50", CLIENT_POLICIES: JSON.stringify({ acme: { rateLimitPerMinute: 7 } }) });
    const url = "/v1/sessions/6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
    const unknown = await rawGet(url, { "x-api-key": "not-a-key-0123456789abcdef" });
    const known = await rawGet(url, auth("acme"));
    const unrouted = await rawGet("/v1/nowhere", auth("acme"));
    expect(unknown).toMatchObject({ status: 401, limit: "50", remaining: "49", reset: expect.stringMatching(/^\d+$/) });
    expect(known).toMatchObject({ status: 404, limit: "7", remaining: "6", reset: expect.stringMatching(/^\d+$/) });
    // No route, no per-client limit: the per-IP count (the third request of this IP).
    expect(unrouted).toMatchObject({ status: 404, limit: "50", remaining: "47" });
    for (const answer of [unknown, known, unrouted]) expect(answer.names.slice(0, LEADING_HEADERS.length)).toEqual(LEADING_HEADERS);
  });

  it("when the per-client count's store fails, then the answer carries the per-IP limit's RateLimit headers", async () => {
    const state = createMemoryState(systemClock);
    const counts = state.rateLimits;
    const failing = {
      consume: (key: string, limit: number, windowMs: number) =>
        key.startsWith("client:") ? Promise.reject(new StateUnavailableError("memory", "test outage")) : counts.consume(key, limit, windowMs),
    };
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "50" }, { state: { ...state, rateLimits: failing } });
    const answer = await rawGet("/v1/sessions/6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", auth("acme"));
    expect(answer).toMatchObject({ status: 503, limit: "50", remaining: "49" });
    expect(answer.names.slice(0, LEADING_HEADERS.length)).toEqual(LEADING_HEADERS);
  });

  it("when one IP keeps guessing keys or probing unknown routes, then it is limited too, before authentication", async () => {
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "4" });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await stack.app.inject({ method: "GET", url: "/v1/sessions/x", headers: { "x-api-key": `guess-${i}` } })).statusCode);
    codes.push((await stack.app.inject({ method: "GET", url: "/no/such/route" })).statusCode);
    const limited = await stack.app.inject({ method: "GET", url: "/no/such/route" });
    const limitedWithKey = await stack.app.inject({ method: "GET", url: "/openapi.json", headers: { "x-api-key": CLIENTS.acme.key } });
    expect(codes).toEqual([401, 401, 401, 404]);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe("LSO_ERR_RATE_LIMITED");
    expect(limitedWithKey.statusCode).toBe(429);
  });

  it("when an IP is over its limit, then the probes and /metrics still answer, and are not counted against it", async () => {
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "1" });
    expect((await stack.app.inject({ method: "GET", url: "/openapi.json" })).statusCode).toBe(200);
    expect((await stack.app.inject({ method: "GET", url: "/openapi.json" })).statusCode).toBe(429);
    for (const url of ["/healthz", "/readyz", "/startupz", "/metrics", "/healthz"]) {
      expect({ url, status: (await stack.app.inject({ method: "GET", url })).statusCode }).toEqual({ url, status: 200 });
    }
  });

  it("when proxies are not trusted (the default), then X-Forwarded-For cannot buy a fresh limit", async () => {
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "2" });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await stack.app.inject({ method: "GET", url: "/openapi.json", headers: { "x-forwarded-for": `203.0.113.${i}` } })).statusCode);
    expect(codes).toEqual([200, 200, 429]);
  });

  it("when TRUST_PROXY is set, then each forwarded client address has its own limit", async () => {
    stack = await startStack({ RATE_LIMIT_PER_IP_PER_MINUTE: "2", TRUST_PROXY: "127.0.0.1" });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await stack.app.inject({ method: "GET", url: "/openapi.json", headers: { "x-forwarded-for": `203.0.113.${i}` } })).statusCode);
    expect(codes).toEqual([200, 200, 200]);
  });
});

describe("server timeouts", () => {
  it("when configured, then Node's request, header, keep-alive and socket timeouts are set from the environment", async () => {
    stack = await startStack({ REQUEST_TIMEOUT_MS: "20000", HEADERS_TIMEOUT_MS: "5000", KEEP_ALIVE_TIMEOUT_MS: "70000", CONNECTION_TIMEOUT_MS: "90000" });
    const server = stack.app.server as Server;
    expect(server.requestTimeout).toBe(20_000);
    expect(server.headersTimeout).toBe(5_000);
    expect(server.keepAliveTimeout).toBe(70_000);
    expect(server.timeout).toBe(90_000);
  });
});
