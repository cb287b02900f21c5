/**
 * The hot paths in one table, each figure as a ratio against a baseline measured in the same run (so a noisy machine
 * moves both sides alike): a bare Fastify route for the reads, and a one-hop route (one fetch to the same emulator,
 * nothing else) for the paths that call Face. Then what the baselines cannot express: Face calls per session for
 * each way of reading the outcome (bench-face-calls.ts), a caller's create latency while others
 * hold the server busy, memory per tracked session, and idle CPU with many unsettled sessions.
 */
import autocannon, { type Result } from "autocannon";
import Fastify, { type FastifyInstance } from "fastify";
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { faceCallsPerSession, READ_STYLES } from "./bench-face-calls.js";
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/emulator-server.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/logger.js";
import { createMemoryState } from "../src/state/state-memory.js";
import type { State } from "../src/state/state.js";
import { startEmulatorProcess } from "./bench-emulator-process.js";
import { mainThreadCpuMicros } from "./thread-cpu.js";

/** The table's sections, in order; `npm run bench -- --only=waiting,idle` runs some of them alone. */
export const hotPathSections = ["throughput", "face-calls", "waiting", "tenant", "idle"] as const;
export type HotPathSection = (typeof hotPathSections)[number];

export interface HotPathOptions {
  smoke: boolean;
  seconds: number;
  connections: number;
  /** Sections to run; all of them when absent. */
  only?: ReadonlySet<HotPathSection> | undefined;
}

interface Row {
  name: string;
  value: string;
  baseline: string;
  ratio: string;
}

/** Two tenants: "bench" makes every measured call; "noisy" holds the long-polls another tenant's create must pass. */
const KEYS = { bench: "bench-api-key-0123456789abcdef", noisy: "noisy-api-key-0123456789abcdef" } as const;
const tenantHeaders: Record<"quiet" | "noisy", Record<string, string>> = {
  quiet: { "x-api-key": KEYS.bench, "content-type": "application/json" },
  noisy: { "x-api-key": KEYS.noisy, "content-type": "application/json" },
};
const headers = tenantHeaders.quiet;
const createBody = JSON.stringify({ kind: "liveness", deviceCorrelationId: "bench" });
const FACE = "/face/v1.2";
/** The emulator's key, which both our server and the one-hop baseline send. */
const FACE_KEY = "bench-face-key-0123456789abcdef";

async function measure(options: autocannon.Options, seconds: number, connections: number): Promise<Result> {
  return (await autocannon({ duration: seconds, connections, ...options })) as unknown as Result;
}

type Measured = Result & { cpuPerRequest: number | undefined };

interface Server {
  app: FastifyInstance;
  url: string;
  state: State;
}

/**
 * "unpaced": the guard's pacing lifted far above what the env schema allows, so what is measured is our overhead.
 * "default": Face's quota as shipped (FACE_MAX_TPS=10, its background share), for the figures whose targets are
 * stated at the default quota: a caller's wait beside background work and beside another tenant.
 */
type Pacing = "unpaced" | "default";

/** A webhook secret for the bench only, so sessions with a callbackUrl are accepted (and hence watched). */
const BENCH_WEBHOOK_SECRET = `whsec_${Buffer.from("bench-webhook-secret-0123456789ab").toString("base64")}`;

async function startServer(emulator: { url: string }, smoke: boolean, pacing: Pacing = "unpaced", state: State = createMemoryState(systemClock)): Promise<Server> {
  const base = loadConfig({
    // The bench measures our overhead, not Face's quota, our own rate limits or the live-session cap.
    FACE_MAX_QUEUE: "10000",
    RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
    API_KEYS: Object.entries(KEYS).map(([client, key]) => `${client}:${key}`).join(","),
    CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000, maxLiveSessions: 1_000_000, decision: { requireClientDigest: false } } }),
    WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
    // A smoke run cannot wait for the default first poll (5 s); a full run measures the default.
    ...(smoke && { SESSION_WATCH_INTERVAL_MS: "100", SESSION_WATCH_FIRST_POLL_MS: "100" }),
  });
  const guard = pacing === "default" ? base.face.guard : { ...base.face.guard, maxTps: 1_000_000, burst: 1_000_000 };
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

async function createSession(server: Server, body = createBody, callerHeaders = headers): Promise<{ id: string; authToken: string }> {
  const res = await fetch(`${server.url}/v1/sessions`, { method: "POST", headers: callerHeaders, body });
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

async function createMany(server: Server, count: number, concurrency: number, body = createBody, callerHeaders = headers): Promise<Array<{ id: string; authToken: string }>> {
  const out: Array<{ id: string; authToken: string }> = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next += 1;
      out.push(await createSession(server, body, callerHeaders));
    }
  }));
  return out;
}

/** A webhook receiver that takes every delivery, so watched sessions' webhooks do not pile up as retries. */
async function startReceiver(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  app.post("/hook", async (_request, reply) => reply.code(204).send());
  return { app, url: `${await app.listen({ port: 0, host: "127.0.0.1" })}/hook` };
}

/** A create whose session the watcher follows: it has a callbackUrl, so its decision is owed as a webhook. */
const watchedBody = (callbackUrl: string) => JSON.stringify({ kind: "liveness", deviceCorrelationId: "bench", callbackUrl });

/** A fresh emulator and server for one section, so sessions left by another section (watched, polled) do not count. */
async function withStack<T>(smoke: boolean, body: (server: Server, emulator: RunningEmulator) => Promise<T>, pacing: Pacing = "unpaced"): Promise<T> {
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  const server = await startServer(emulator, smoke, pacing);
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

/**
 * One caller's create latency (p50, ms): creates one at a time, started `ratePerSec` a second, so the caller stays
 * inside its share of a real quota and what shows is the wait other work adds, not its own creates queueing.
 */
async function createP50(server: Server, seconds: number, ratePerSec: number, callerHeaders = headers): Promise<number> {
  const gapMs = 1000 / ratePerSec;
  const latencies: number[] = [];
  for (let i = 0; i < Math.max(3, Math.round(seconds * ratePerSec)); i++) {
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/sessions`, { method: "POST", headers: callerHeaders, body: createBody });
    await res.text();
    const tookMs = performance.now() - started;
    if (res.status !== 201) throw new Error(`create answered ${res.status}`);
    latencies.push(tookMs);
    await sleep(Math.max(0, gapMs - tookMs));
  }
  latencies.sort((x, y) => x - y);
  return latencies[Math.floor(latencies.length / 2)]!;
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");

async function throughputRows(smoke: boolean, seconds: number, connections: number): Promise<Row[]> {
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  const server = await startServer(emulator, smoke);
  const settled = await createSession(server);
  await deviceAttempt(emulator, settled.authToken);
  const settledView = await (await fetch(`${server.url}/v1/sessions/${settled.id}`, { headers })).json();
  const unsettled = await createSession(server);
  const baselines = await startBaselines(emulator, settledView, unsettled.id);
  const rows: Row[] = [];
  // Each side warmed up first (JIT, pools, caches): a cold first scenario once read as a third of its real rate.
  // The load comes from a worker thread: on the servers' own event loop its per-request cost would be added to both
  // sides alike, which pulls every ratio towards 1 (the leaner the baseline, the more it flatters us).
  const run = async (o: autocannon.Options) => {
    await measure({ ...o, workers: 1 }, Math.min(seconds, 1), connections);
    const cpuBefore = mainThreadCpuMicros();
    const result = await measure({ ...o, workers: 1 }, seconds, connections);
    const cpuAfter = mainThreadCpuMicros();
    // The servers' own CPU per answered request (main thread): steadier than req/s on a machine doing other work.
    const cpuPerRequest = cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? (cpuAfter - cpuBefore) / result.requests.total : undefined;
    return Object.assign(result, { cpuPerRequest });
  };
  /** A req/s row, then its CPU row: the baseline's µs over ours, so above 1 is leaner than the baseline. */
  const pair = (name: string, ours: Measured, baseName: string, base: Measured): Row[] => [
    { name: `${name}, req/s`, value: fixed(ours.requests.average), baseline: `${baseName} ${fixed(base.requests.average)}`, ratio: ratio(ours.requests.average, base.requests.average) },
    ...(ours.cpuPerRequest !== undefined && base.cpuPerRequest !== undefined
      ? [{ name: `${name}, server CPU µs/request`, value: fixed(ours.cpuPerRequest), baseline: `${baseName} ${fixed(base.cpuPerRequest)}`, ratio: ratio(base.cpuPerRequest, ours.cpuPerRequest) }]
      : []),
  ];

  const bare = await run({ url: `${baselines.url}/bare` });
  const settledRead = await run({ url: `${server.url}/v1/sessions/${settled.id}`, headers });
  rows.push(...pair("settled GET /v1/sessions/{id}", settledRead, "bare Fastify", bare));
  const hopRead = await run({ url: `${baselines.url}/hop/read` });
  const unsettledRead = await run({ url: `${server.url}/v1/sessions/${unsettled.id}`, headers });
  rows.push(...pair("unsettled GET /v1/sessions/{id}", unsettledRead, "one-hop", hopRead));
  const hopCreate = await run({ url: `${baselines.url}/hop/create`, method: "POST" });
  const create = await run({ url: `${server.url}/v1/sessions`, method: "POST", headers, body: createBody });
  rows.push(...pair("create POST /v1/sessions", create, "one-hop", hopCreate));

  // Added latency at half load: both sides paced at half our max create rate.
  const half = Math.max(1, Math.floor(create.requests.average / 2));
  const hopHalf = await run({ url: `${baselines.url}/hop/create`, method: "POST", overallRate: half });
  const oursHalf = await run({ url: `${server.url}/v1/sessions`, method: "POST", headers, body: createBody, overallRate: half });
  rows.push({ name: `added p99 at half load (${half} creates/s), ms`, value: fixed(oursHalf.latency.p99 - hopHalf.latency.p99, 1), baseline: `one-hop p99 ${fixed(hopHalf.latency.p99, 1)}`, ratio: "-" });

  await server.app.close();
  await baselines.close();
  await emulator.close();
  return rows;
}

async function faceCallRows(smoke: boolean): Promise<Row[]> {
  const calls = await faceCallsPerSession(smoke);
  return [...READ_STYLES, "mix" as const].map((style) => ({
    name: `Face calls per session, ${style === "mix" ? "mix of the three" : style}`,
    value: fixed(calls[style], 2),
    baseline: style === "mix" ? "floor 3" : "-",
    ratio: "-",
  }));
}

/** The caller's pace in the latency sections: well inside the callers' 70% of the default 10 calls/s. */
const CALLER_RATE = 4;

/** At the default quota: a caller's create beside 150 watched sessions whose devices never come. */
async function waitingRow(smoke: boolean, seconds: number): Promise<Row> {
  const receiver = await startReceiver();
  try {
    return await withStack(smoke, async (s, e) => {
      const idle = await createP50(s, seconds, CALLER_RATE);
      const reads = () => e.state.requestCount("getLivenessSession");
      // 150 sessions waiting for their devices: created with a callbackUrl and never attempted, so the watcher
      // reads them all, as often as its share of the quota lets it.
      const waitingSessions = await createMany(s, smoke ? 15 : 150, 10, watchedBody(receiver.url));
      await sleep(smoke ? 200 : 6000); // past the watcher's first read (SESSION_WATCH_FIRST_POLL_MS, 5 s)
      const readsBefore = reads();
      const waiting = await createP50(s, seconds, CALLER_RATE);
      // The watcher's reads while the caller measured: proof the background work was there to compete with.
      const watcherReads = reads() - readsBefore;
      await Promise.all(waitingSessions.map((w) => deviceAttempt(e, w.authToken)));
      return { name: `create p50 with 150 sessions waiting for devices, ms (${watcherReads} watcher reads)`, value: fixed(waiting, 1), baseline: `idle ${fixed(idle, 1)}`, ratio: ratio(waiting, idle) };
    }, "default");
  } finally {
    await receiver.app.close();
  }
}

/** At the default quota: one tenant's create while another tenant holds 100 long-polls (each reading Face). */
async function tenantRow(smoke: boolean, seconds: number): Promise<Row> {
  return withStack(smoke, async (s, e) => {
    const idle = await createP50(s, seconds, CALLER_RATE, tenantHeaders.quiet);
    const noisy = await createMany(s, smoke ? 10 : 100, 10, createBody, tenantHeaders.noisy);
    const polls = noisy.map((n) => fetch(`${s.url}/v1/sessions/${n.id}?waitSeconds=${smoke ? 3 : 30}`, { headers: tenantHeaders.noisy }).catch(() => undefined));
    await sleep(300);
    const readsBefore = e.state.requestCount("getLivenessSession");
    const underPolls = await createP50(s, seconds, CALLER_RATE, tenantHeaders.quiet);
    const pollReads = e.state.requestCount("getLivenessSession") - readsBefore;
    await Promise.all(noisy.map((n) => deviceAttempt(e, n.authToken)));
    await Promise.all(polls);
    return { name: `create p50 with one tenant holding 100 long-polls, ms (${pollReads} poll reads)`, value: fixed(underPolls, 1), baseline: `idle ${fixed(idle, 1)}`, ratio: ratio(underPolls, idle) };
  }, "default");
}

/**
 * Memory, then idle CPU, with many unsettled sessions. The heap figure counts the in-process emulator's copy of each
 * session too (as in emulator mode). The CPU figure is the server's alone: its emulator runs in a child process,
 * whose CPU process.cpuUsage() does not count. The sessions have a callbackUrl, so the watcher has every one of
 * them on its index; "idle" means no caller, the watcher following them at its share of an unpaced quota.
 */
async function idleRows(smoke: boolean): Promise<Row[]> {
  const tracked = smoke ? 200 : 20_000;
  const rows: Row[] = [];
  await withStack(smoke, async (s) => {
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    await createMany(s, tracked, 20);
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    rows.push({ name: `memory per tracked session (heap, ${tracked} sessions), bytes`, value: fixed((heapAfter - heapBefore) / tracked), baseline: "-", ratio: "-" });
  });
  const emulator = await startEmulatorProcess(FACE_KEY);
  const receiver = await startReceiver();
  // At the default quota, 20 000 creates would take over half an hour: the bucket grants everything while they are
  // made (the watcher's first reads included), and Face's default quota holds from then on.
  const state = createMemoryState(systemClock);
  const quota = state.quota;
  let seeding = true;
  const server = await startServer(emulator, smoke, "default", {
    ...(state as State),
    quota: { take: async (resource, lanes) => (seeding ? { granted: true } : quota.take(resource, lanes)), pause: (resource, forMs) => quota.pause(resource, forMs) },
  });
  try {
    await createMany(server, tracked, 20, watchedBody(receiver.url));
    seeding = false;
    await sleep(smoke ? 100 : 1000);
    const cpuStart = process.cpuUsage();
    const cpuSeconds = smoke ? 0.5 : 5;
    await sleep(cpuSeconds * 1000);
    const cpu = process.cpuUsage(cpuStart);
    rows.push({ name: `idle CPU with ${tracked} unsettled sessions, % of one core`, value: fixed(((cpu.user + cpu.system) / 1e6 / cpuSeconds) * 100, 1), baseline: "-", ratio: "-" });
  } finally {
    await server.app.close();
    await receiver.app.close();
    await emulator.close();
  }
  return rows;
}

export async function runHotPaths(options: HotPathOptions): Promise<string> {
  const { smoke, seconds, connections, only } = options;
  const runs = (section: HotPathSection) => !only || only.has(section);
  const latencySeconds = smoke ? 0.5 : Math.max(10, seconds);
  const rows: Row[] = [];
  if (runs("throughput")) rows.push(...(await throughputRows(smoke, seconds, connections)));
  if (runs("face-calls")) rows.push(...(await faceCallRows(smoke)));
  if (runs("waiting")) rows.push(await waitingRow(smoke, latencySeconds));
  if (runs("tenant")) rows.push(await tenantRow(smoke, latencySeconds));
  if (runs("idle")) rows.push(...(await idleRows(smoke)));

  return formatRows(rows, seconds, connections, smoke);
}

function formatRows(rows: Row[], seconds: number, connections: number, smoke: boolean): string {
  const lines = [
    `\nHot paths (${seconds}s per throughput scenario, ${connections} connections, loopback${smoke ? "; smoke run: numbers are not meaningful" : ""})\n`,
    `${"figure".padEnd(72)}${"value".padStart(10)}  ${"baseline".padEnd(24)}${"ratio".padStart(7)}`,
    ...rows.map((r) => `${r.name.padEnd(72)}${r.value.padStart(10)}  ${r.baseline.padEnd(24)}${r.ratio.padStart(7)}`),
  ];
  return `${lines.join("\n")}\n`;
}
