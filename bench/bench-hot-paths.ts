/**
 * The hot paths in one table, each figure as a ratio against a baseline measured in the same run (so a noisy machine
 * moves both sides alike): a bare Fastify route for the reads, and a one-hop route (one fetch to the same emulator,
 * nothing else) for the paths that call Face. Then what the baselines cannot express: Face calls per session for
 * each way of reading the outcome (from the emulator's request counts), a caller's create latency while others
 * hold the server busy, memory per tracked session, and idle CPU with many unsettled sessions.
 */
import autocannon, { type Result } from "autocannon";
import Fastify, { type FastifyInstance } from "fastify";
import { Agent, request } from "undici";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { buildApp } from "../src/app.js";
import { DEV_API_KEY, loadConfig } from "../src/config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/emulator-server.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/logger.js";
import { createMemoryState } from "../src/state/state-memory.js";
import type { State } from "../src/state/state.js";

export interface HotPathOptions {
  smoke: boolean;
  seconds: number;
  connections: number;
  /** The throughput rows only (settled GET, unsettled GET, create): for quick before/after comparisons. */
  throughputOnly?: boolean;
}

interface Row {
  name: string;
  value: string;
  baseline: string;
  ratio: string;
}

const headers = { "x-api-key": DEV_API_KEY, "content-type": "application/json" };
const createBody = JSON.stringify({ kind: "liveness", deviceCorrelationId: "bench" });
const FACE = "/face/v1.2";
/** The emulator's key, which both our server and the one-hop baseline send. */
const FACE_KEY = "bench-face-key-0123456789abcdef";

async function measure(options: autocannon.Options, seconds: number, connections: number): Promise<Result> {
  return (await autocannon({ duration: seconds, connections, ...options })) as unknown as Result;
}

interface Server {
  app: FastifyInstance;
  url: string;
  state: State;
}

async function startServer(emulator: RunningEmulator, smoke: boolean): Promise<Server> {
  const base = loadConfig({
    // The bench measures our overhead, not Face's quota or our own rate limits.
    FACE_MAX_QUEUE: "10000",
    RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
    CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000, decision: { requireClientDigest: false } } }),
    // A smoke run cannot wait for the default first poll (5 s); a full run measures the default.
    ...(smoke && { SESSION_WATCH_INTERVAL_MS: "100" }),
  });
  // Above what the env schema allows on purpose: the guard's pacing would otherwise be what is measured.
  const guard = { ...base.face.guard, maxTps: 1_000_000, burst: 1_000_000 };
  const state = createMemoryState(systemClock);
  const app = await buildApp({ ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY, guard } }, { logger: createLogger("silent"), state });
  return { app, url: await app.listen({ port: 0, host: "127.0.0.1" }), state };
}

/**
 * The baselines: a bare route answering a view-sized JSON, and one-hop routes that make one emulator call each with
 * undici.request over a keep-alive pool (the leanest Node client, so "one hop" is the floor, not a slow straw man).
 */
async function startBaselines(emulator: RunningEmulator, sample: unknown, sessionId: string): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const app = Fastify();
  const pool = new Agent({ keepAliveTimeout: 60_000 });
  const faceHeaders = { "ocp-apim-subscription-key": FACE_KEY, "content-type": "application/json" };
  app.get("/bare", async () => sample);
  app.post("/hop/create", async (_request, reply) => {
    const res = await request(`${emulator.url}${FACE}/detectLiveness-sessions`, { dispatcher: pool, method: "POST", headers: faceHeaders, body: JSON.stringify({ livenessOperationMode: "PassiveActive", deviceCorrelationId: "bench" }) });
    return reply.code(res.statusCode === 200 ? 201 : 502).send(await res.body.json());
  });
  app.get("/hop/read", async (_request, reply) => {
    const res = await request(`${emulator.url}${FACE}/detectLiveness-sessions/${sessionId}`, { dispatcher: pool, headers: faceHeaders });
    return reply.code(res.statusCode).send(await res.body.json());
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url, close: async () => { await app.close(); await pool.close(); } };
}

async function createSession(server: Server): Promise<{ id: string; authToken: string }> {
  const res = await fetch(`${server.url}/v1/sessions`, { method: "POST", headers, body: createBody });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; authToken: string };
}

/** The device's side: one attempt at the emulator, which settles the session at Face. */
async function deviceAttempt(emulator: RunningEmulator, authToken: string): Promise<string> {
  const res = await fetch(`${emulator.url}${FACE}/detectLiveness/singleModal`, {
    method: "POST",
    headers: { authorization: `Bearer ${authToken}`, "content-type": "application/json" },
    body: JSON.stringify({ livenessDecision: "realface" }),
  });
  return ((await res.json()) as { digest: string }).digest;
}

function totalFaceCalls(emulator: RunningEmulator): number {
  return Object.values(emulator.state.requestCounts()).reduce((n, c) => n + c, 0);
}

async function createMany(server: Server, count: number, concurrency: number): Promise<Array<{ id: string; authToken: string }>> {
  const out: Array<{ id: string; authToken: string }> = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next += 1;
      out.push(await createSession(server));
    }
  }));
  return out;
}

type ReadStyle = "long-poll" | "/complete" | "webhook only";

/** A fresh emulator and server for one section, so sessions left by another section (watched, polled) do not count. */
async function withStack<T>(smoke: boolean, body: (server: Server, emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  const server = await startServer(emulator, smoke);
  try {
    return await body(server, emulator);
  } finally {
    await server.app.close();
    await emulator.close();
  }
}

/** A full collection, so heap figures count what is live; --expose-gc switched on at run time. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Face calls per session (create and deletes included) when the caller learns the outcome this way. */
async function faceCallsPerSession(server: Server, emulator: RunningEmulator, style: ReadStyle, sessions: number, deviceDelayMs: number, settleWaitMs: number): Promise<number> {
  await sleep(200);
  const before = totalFaceCalls(emulator);
  await Promise.all(Array.from({ length: sessions }, async () => {
    const session = await createSession(server);
    const device = sleep(deviceDelayMs).then(() => deviceAttempt(emulator, session.authToken));
    if (style === "long-poll") {
      await fetch(`${server.url}/v1/sessions/${session.id}?waitSeconds=${Math.ceil((deviceDelayMs + settleWaitMs) / 1000)}`, { headers });
      await device;
    } else if (style === "/complete") {
      const digest = await device;
      await fetch(`${server.url}/v1/sessions/${session.id}/complete`, { method: "POST", headers, body: JSON.stringify({ clientDigest: digest }) });
    } else {
      // No reader: the background watcher settles it, which is what a webhook would announce.
      await device;
      const deadline = Date.now() + settleWaitMs;
      while (!(await server.state.sessions.get(session.id))?.decision && Date.now() < deadline) await sleep(100);
    }
  }));
  await sleep(500); // deletes after the decision run in the background
  return (totalFaceCalls(emulator) - before) / sessions;
}

/** One caller's create latency (p50, ms), one request at a time, for a few seconds. */
async function createP50(server: Server, seconds: number): Promise<number> {
  const result = await measure({ url: `${server.url}/v1/sessions`, method: "POST", headers, body: createBody }, seconds, 1);
  return result.latency.p50;
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");

export async function runHotPaths(options: HotPathOptions): Promise<string> {
  const { smoke, seconds, connections, throughputOnly = false } = options;
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  const server = await startServer(emulator, smoke);
  const settled = await createSession(server);
  await deviceAttempt(emulator, settled.authToken);
  const settledView = await (await fetch(`${server.url}/v1/sessions/${settled.id}`, { headers })).json();
  const unsettled = await createSession(server);
  const baselines = await startBaselines(emulator, settledView, unsettled.id);
  const rows: Row[] = [];
  // Each side warmed up first (JIT, pools, caches): a cold first scenario once read as a third of its real rate.
  const run = async (o: autocannon.Options) => {
    await measure(o, Math.min(seconds, 1), connections);
    return measure(o, seconds, connections);
  };

  const bare = await run({ url: `${baselines.url}/bare` });
  const settledRead = await run({ url: `${server.url}/v1/sessions/${settled.id}`, headers });
  rows.push({ name: "settled GET /v1/sessions/{id}, req/s", value: fixed(settledRead.requests.average), baseline: `bare Fastify ${fixed(bare.requests.average)}`, ratio: ratio(settledRead.requests.average, bare.requests.average) });
  const hopRead = await run({ url: `${baselines.url}/hop/read` });
  const unsettledRead = await run({ url: `${server.url}/v1/sessions/${unsettled.id}`, headers });
  rows.push({ name: "unsettled GET /v1/sessions/{id}, req/s", value: fixed(unsettledRead.requests.average), baseline: `one-hop ${fixed(hopRead.requests.average)}`, ratio: ratio(unsettledRead.requests.average, hopRead.requests.average) });
  const hopCreate = await run({ url: `${baselines.url}/hop/create`, method: "POST" });
  const create = await run({ url: `${server.url}/v1/sessions`, method: "POST", headers, body: createBody });
  rows.push({ name: "create POST /v1/sessions, req/s", value: fixed(create.requests.average), baseline: `one-hop ${fixed(hopCreate.requests.average)}`, ratio: ratio(create.requests.average, hopCreate.requests.average) });

  if (throughputOnly) {
    await server.app.close();
    await baselines.close();
    await emulator.close();
    return formatRows(rows, seconds, connections, smoke);
  }

  // Added latency at half load: both sides paced at half our max create rate.
  const half = Math.max(1, Math.floor(create.requests.average / 2));
  const hopHalf = await run({ url: `${baselines.url}/hop/create`, method: "POST", overallRate: half });
  const oursHalf = await run({ url: `${server.url}/v1/sessions`, method: "POST", headers, body: createBody, overallRate: half });
  rows.push({ name: `added p99 at half load (${half} creates/s), ms`, value: fixed(oursHalf.latency.p99 - hopHalf.latency.p99, 1), baseline: `one-hop p99 ${fixed(hopHalf.latency.p99, 1)}`, ratio: "-" });

  await server.app.close();
  await baselines.close();
  await emulator.close();

  const perStyle = smoke ? 2 : 20;
  const deviceDelayMs = smoke ? 100 : 1500;
  const settleWaitMs = smoke ? 2000 : 15_000;
  for (const style of ["long-poll", "/complete", "webhook only"] as const) {
    const calls = await withStack(smoke, (s, e) => faceCallsPerSession(s, e, style, perStyle, deviceDelayMs, settleWaitMs));
    rows.push({ name: `Face calls per session, ${style}`, value: fixed(calls, 2), baseline: "-", ratio: "-" });
  }

  const latencySeconds = smoke ? 0.3 : Math.max(2, seconds);
  await withStack(smoke, async (s, e) => {
    const idle = await createP50(s, latencySeconds);
    // 150 sessions waiting for their devices: created, never attempted, so the watcher follows them all.
    const waitingSessions = await createMany(s, smoke ? 15 : 150, 10);
    const waiting = await createP50(s, latencySeconds);
    rows.push({ name: "create p50 with 150 sessions waiting for devices, ms", value: fixed(waiting, 1), baseline: `idle ${fixed(idle, 1)}`, ratio: ratio(waiting, idle) });
    await Promise.all(waitingSessions.map((w) => deviceAttempt(e, w.authToken)));
  });
  await withStack(smoke, async (s, e) => {
    const idle = await createP50(s, latencySeconds);
    const noisy = await createMany(s, smoke ? 10 : 100, 10);
    const polls = noisy.map((n) => fetch(`${s.url}/v1/sessions/${n.id}?waitSeconds=30`, { headers }).catch(() => undefined));
    await sleep(300);
    const underPolls = await createP50(s, latencySeconds);
    rows.push({ name: "create p50 with one tenant holding 100 long-polls, ms", value: fixed(underPolls, 1), baseline: `idle ${fixed(idle, 1)}`, ratio: ratio(underPolls, idle) });
    await Promise.all(noisy.map((n) => deviceAttempt(e, n.authToken)));
    await Promise.all(polls);
  });

  // Memory and idle CPU with many unsettled sessions; the emulator shares the process (as in emulator mode), so its
  // copy of each session is in the heap figure too.
  const tracked = smoke ? 200 : 20_000;
  await withStack(smoke, async (s) => {
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    await createMany(s, tracked, 20);
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    rows.push({ name: `memory per tracked session (heap, ${tracked} sessions), bytes`, value: fixed((heapAfter - heapBefore) / tracked), baseline: "-", ratio: "-" });
    await sleep(smoke ? 100 : 1000);
    const cpuStart = process.cpuUsage();
    const cpuSeconds = smoke ? 0.5 : 5;
    await sleep(cpuSeconds * 1000);
    const cpu = process.cpuUsage(cpuStart);
    rows.push({ name: `idle CPU with ${tracked} unsettled sessions, % of one core`, value: fixed(((cpu.user + cpu.system) / 1e6 / cpuSeconds) * 100, 1), baseline: "-", ratio: "-" });
  });

  return formatRows(rows, seconds, connections, smoke);
}

function formatRows(rows: Row[], seconds: number, connections: number, smoke: boolean): string {
  const lines = [
    `\nHot paths (${seconds}s per throughput scenario, ${connections} connections, loopback${smoke ? "; smoke run: numbers are not meaningful" : ""})\n`,
    `${"figure".padEnd(56)}${"value".padStart(10)}  ${"baseline".padEnd(24)}${"ratio".padStart(7)}`,
    ...rows.map((r) => `${r.name.padEnd(56)}${r.value.padStart(10)}  ${r.baseline.padEnd(24)}${r.ratio.padStart(7)}`),
  ];
  return `${lines.join("\n")}\n`;
}
