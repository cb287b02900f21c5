/**
 * The property every hostile request must satisfy, and the stack it runs against: the real app, wired through the
 * real Face gateway to the real emulator, with a few real sessions whose ids the id arbitraries can aim at.
 *
 * The property: never a 5xx; a 2xx only where the input happened to be valid; otherwise a 4xx in the one envelope
 * `{error:{code,message,requestId}}` with a registered LSO_ERR_* code of that status and `x-request-id` equal to
 * `error.requestId`; never a secret in a response; never a polluted prototype; and afterwards a healthy server with
 * no "unexpected error" (or anything else at level >= 50) in its logs and no unhandled rejection in the process.
 */
import type fc from "fast-check";
import type { InjectOptions } from "fastify";
import { expect } from "vitest";
import type { EnvInput } from "../../src/config.js";
import { errorCatalog, type ErrorCode } from "../../src/errors.js";
import { errorEnvelopeSchema } from "../../src/plugins/error-envelope.js";
import { sessionCreatedSchema } from "../../src/sessions/session-schemas.js";
import { auth, CLIENTS, FACE_KEY, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

/** An operator key (ADMIN_API_KEYS): it opens /readyz's checks, and must never be echoed either. */
export const OPERATOR_KEY = "hostile-operator-key-0123456789";

export const SECRETS: readonly string[] = [FACE_KEY, CLIENTS.acme.key, CLIENTS.globex.key, OPERATOR_KEY];
export const API_KEYS: readonly string[] = [CLIENTS.acme.key, CLIENTS.globex.key];

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Anything thrown or rejected outside a request's own promise chain, for the whole test file. */
const escaped: unknown[] = [];
process.on("unhandledRejection", (reason) => escaped.push(reason));
process.on("uncaughtException", (error) => escaped.push(error));

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(",");
const pristinePrototype = prototypeKeys();

/** Answers seen, by status and code; printed on close when HOSTILE_STATS=1, to check what the arbitraries reach. */
export const tally = new Map<string, number>();

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** A short description of the request for assertion messages (fast-check prints the generated value as well). */
export type Context = string;

/** Asserts the property for one answer. */
export function expectWellFormedAnswer(answer: Answer, method: string, context: Context): void {
  const { statusCode, headers, body } = answer;
  const where = `${context} → ${statusCode} ${body.slice(0, 300)}`;
  // 304 is a GET's answer to a matching If-None-Match (`*` matches any session the caller may read), with no body.
  const notModified = statusCode === 304 && (method === "GET" || method === "HEAD") && body === "";
  expect((statusCode >= 200 && statusCode < 300) || notModified || (statusCode >= 400 && statusCode < 500), `status must be 2xx, 304 or 4xx: ${where}`).toBe(true);

  const requestId = headers["x-request-id"];
  expect(typeof requestId, `x-request-id header: ${where}`).toBe("string");
  expect(SAFE_REQUEST_ID.test(requestId as string), `x-request-id must be safe to echo: ${where}`).toBe(true);

  const everything = `${body}\n${JSON.stringify(headers)}`;
  for (const secret of SECRETS) expect(everything.includes(secret), `a secret reached the response: ${where}`).toBe(false);
  expect(prototypeKeys(), `Object.prototype was polluted: ${where}`).toBe(pristinePrototype);

  if (statusCode < 400) {
    tally.set(String(statusCode), (tally.get(String(statusCode)) ?? 0) + 1);
    return;
  }
  if (method === "HEAD") {
    expect(body, `a HEAD answer has no body: ${where}`).toBe("");
    return;
  }
  expect(String(headers["content-type"]), `error content-type: ${where}`).toMatch(/^application\/json/);
  let parsed: unknown;
  expect(() => (parsed = JSON.parse(body)), `error body must be JSON: ${where}`).not.toThrow();
  expect(Object.keys(parsed as object), `envelope has only "error": ${where}`).toEqual(["error"]);
  const envelope = errorEnvelopeSchema.safeParse(parsed);
  expect(envelope.success, `envelope shape: ${where}`).toBe(true);
  const { code, requestId: bodyRequestId, message } = envelope.data!.error;
  expect(code, `stable code: ${where}`).toMatch(/^LSO_ERR_[A-Z_]+$/);
  expect(errorCatalog[code as ErrorCode].status, `the code's registered status: ${where}`).toBe(statusCode);
  expect(bodyRequestId, `x-request-id equals error.requestId: ${where}`).toBe(requestId);
  expect(message.length, `a message: ${where}`).toBeGreaterThan(0);
  tally.set(`${statusCode} ${code}`, (tally.get(`${statusCode} ${code}`) ?? 0) + 1);
}

/** Asserts what a 201 from create must look like. */
export function expectCreated(answer: Answer, context: Context): void {
  const parsed = sessionCreatedSchema.safeParse(JSON.parse(answer.body));
  expect(parsed.success, `a 201 carries a SessionCreated: ${context} ${answer.body.slice(0, 300)}`).toBe(true);
}

/** How long one request may take: a request the server never answers is a failure of the property too. */
export const ANSWER_TIMEOUT_MS = 5_000;

export async function answerWithin<T>(promise: Promise<T>, context: Context): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms: ${context.slice(0, 2_000)}`)), ANSWER_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * fc.assert parameters for every hostile property: a fixed case count, fast-check's random seed (printed on failure),
 * or HOSTILE_SEED to replay a failure that was printed.
 */
export function runParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.HOSTILE_SEED;
  return seed === undefined ? { numRuns } : { numRuns, seed: Number(seed) };
}

/**
 * Bounds shrinking: a hanging request costs ANSWER_TIMEOUT_MS per shrink step, so once a failure has been found and
 * SHRINK_BUDGET_MS have passed, further candidates are skipped (counted as passing). fast-check then reports the
 * smallest counterexample found so far, with its seed, instead of the test timing out mid-shrink.
 * (fast-check's own interruptAfterTimeLimit does this too, but costs a timer tick on every run.)
 */
const SHRINK_BUDGET_MS = 20_000;

export function shrinkWithinBudget<Ts extends unknown[]>(predicate: (...args: Ts) => Promise<void>): (...args: Ts) => Promise<void> {
  let firstFailureAt: number | undefined;
  return async (...args: Ts) => {
    if (firstFailureAt !== undefined && Date.now() - firstFailureAt > SHRINK_BUDGET_MS) return;
    try {
      await predicate(...args);
    } catch (error) {
      firstFailureAt ??= Date.now();
      throw error;
    }
  };
}

export interface HostileStack extends TestStack {
  /** Sessions that exist: acme's liveness session with a session image, acme's verify session, globex's session. */
  ids: { ownWithImage: string; ownVerify: string; othersSession: string };
  realIds: readonly string[];
  /** inject, then assert the property; returns the answer for further checks. */
  send(options: InjectOptions, context?: Context): Promise<Answer>;
  /** Asserts the server is still healthy and nothing went wrong behind the answers. */
  expectHealthy(): Promise<void>;
}

/** `env` adds to (or overrides) the hostile stack's settings, e.g. webhooks on, or a client's own policy. */
export async function startHostileStack(env: EnvInput = {}): Promise<HostileStack> {
  // Thousands of requests, hundreds of them reaching Face: the quota guard's default pacing (10 calls/s) would make
  // the run slow without making it any more hostile.
  // Thousands of requests a minute, by design: lift the quota guard, both rate limits and the live-session cap, which
  // have tests of their own.
  const stack = await startStack({
    FACE_MAX_TPS: "1000",
    RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
    CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000, maxLiveSessions: 1_000_000 } }),
    ADMIN_API_KEYS: `ops:${OPERATOR_KEY}`,
    ...env,
  });
  const create = async (client: keyof typeof CLIENTS, payload: Record<string, unknown>) => {
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(client), payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; authToken: string };
  };
  const withImage = await create("acme", { kind: "liveness", enableSessionImage: true });
  await emulatorDeviceAttempt(stack.emulator.url, "liveness", withImage.authToken, { livenessDecision: "realface" });
  const verify = await create("acme", { kind: "livenessWithVerify", verifyImage: makeTestJpeg().toString("base64") });
  const others = await create("globex", { kind: "liveness" });
  const ids = { ownWithImage: withImage.id, ownVerify: verify.id, othersSession: others.id };
  let logsChecked = 0;

  const send = async (options: InjectOptions, context = ""): Promise<Answer> => {
    const method = String(options.method ?? "GET").toUpperCase();
    const described = `${method} ${String(options.url).slice(0, 200)} ${context}`;
    const res = await answerWithin(stack.app.inject(options), described);
    const answer: Answer = { statusCode: res.statusCode, headers: res.headers, body: res.body };
    expectWellFormedAnswer(answer, method, described);
    return answer;
  };

  const expectHealthy = async () => {
    expect(escaped, "no unhandled rejection or uncaught exception").toEqual([]);
    const fresh = stack.logs.lines.slice(logsChecked);
    logsChecked = stack.logs.lines.length;
    const severe = fresh.map((line) => JSON.parse(line) as { level: number; msg?: string }).filter((r) => r.level >= 50);
    expect(severe, "no log line at level >= 50 (\"unexpected error\")").toEqual([]);
    for (const secret of SECRETS) expect(fresh.some((line) => line.includes(secret)), "no secret in the logs").toBe(false);

    const health = await stack.app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
    const created = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(), payload: { kind: "liveness", deviceCorrelationId: "after-hostile" } });
    expect(created.statusCode, created.body).toBe(201);
    const read = await stack.app.inject({ method: "GET", url: `/v1/sessions/${created.json().id}`, headers: auth() });
    expect(read.statusCode, read.body).toBe(200);
  };

  const close = async () => {
    if (process.env.HOSTILE_STATS === "1") console.log(Object.fromEntries([...tally].sort(([a], [b]) => a.localeCompare(b))));
    await stack.close();
  };
  return { ...stack, ids, realIds: Object.values(ids), send, expectHealthy, close };
}

/** Header objects for inject: undefined values dropped (inject refuses them). */
export function headersOf(entries: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(entries).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined));
}
