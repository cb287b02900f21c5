/**
 * `npm run bench`: throughput of the main paths, as ratios against baselines measured in the same run, so a noisy
 * machine moves both sides alike. Everything runs on loopback: the API on an ephemeral port, talking over HTTP to
 * the embedded Face emulator. Each scenario is bounded in time.
 *
 * - On the memory state: each path against GET /healthz on the same server.
 * - On the Redis state (a private redis-server from PATH, or REDIS_URL): create and settled-read throughput as
 *   ratios against the same scenarios on the memory state, and Redis memory per tracked session (INFO memory
 *   before and after creating N sessions).
 *
 * BENCH_SECONDS (default 3) sets each scenario's duration; BENCH_CONNECTIONS (default 10) its concurrency;
 * BENCH_SESSIONS (default 1000) the sessions created for the memory measurement. `--smoke` runs every scenario for
 * a few hundred milliseconds and 50 sessions: it proves the bench runs, its numbers mean little.
 * Then the hot-path table (bench-hot-paths.ts). `--only=waiting,idle` runs just those hot-path sections (names in
 * hotPathSections), without the tables above; `--only=throughput` is the quick before/after check for a change to
 * the settled GET, unsettled GET or create paths.
 */
import { randomBytes } from "node:crypto";
import autocannon, { type Result } from "autocannon";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../src/app.js";
import { DEV_API_KEY, loadConfig } from "../src/config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/emulator-server.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/logger.js";
import { hotPathSections, runHotPaths, type HotPathSection } from "./bench-hot-paths.js";
import { openRedisState } from "../src/state/redis/redis-state.js";
import type { State } from "../src/state/state.js";
import { startBenchRedis, type BenchRedis } from "./bench-redis.js";

const smoke = process.argv.includes("--smoke");
const only = parseOnly(process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length));

function parseOnly(list: string | undefined): Set<HotPathSection> | undefined {
  if (list === undefined) return undefined;
  const names = list.split(",").filter(Boolean);
  const unknown = names.filter((n) => !(hotPathSections as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`--only: unknown section(s) ${unknown.join(", ")}; known: ${hotPathSections.join(", ")}`);
  return new Set(names as HotPathSection[]);
}
const seconds = smoke ? 0.3 : Number(process.env.BENCH_SECONDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const trackedSessions = smoke ? 50 : Number(process.env.BENCH_SESSIONS ?? 1000);
const headers = { "x-api-key": DEV_API_KEY, "content-type": "application/json" };
const createBody = JSON.stringify({ kind: "liveness", deviceCorrelationId: "bench" });

interface Measured {
  name: string;
  rps: number;
  p99: number;
  failed: number;
}

async function measure(name: string, options: autocannon.Options): Promise<Measured> {
  const result = (await autocannon({ duration: seconds, connections, ...options })) as unknown as Result;
  return { name, rps: result.requests.average, p99: result.latency.p99, failed: result.non2xx + result.errors };
}

interface Server {
  app: FastifyInstance;
  url: string;
}

async function startServer(emulator: RunningEmulator, state?: State): Promise<Server> {
  const base = loadConfig({
    // The bench measures our overhead, not Face's quota, our own rate limits or the live-session cap.
    FACE_MAX_QUEUE: "10000",
    RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
    CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000, maxLiveSessions: 1_000_000, decision: { requireClientDigest: false } } }),
    // The request paths only: a watcher polling the thousands of sessions the run creates would compete with them.
    SESSION_WATCH_INTERVAL_MS: "0",
  });
  // Above what the env schema allows on purpose: the guard's pacing would otherwise be what is measured.
  const guard = { ...base.face.guard, maxTps: 1_000_000, burst: 1_000_000 };
  const app = await buildApp({ ...base, face: { ...base.face, endpoint: emulator.url, guard } }, { logger: createLogger("silent"), ...(state && { state }) });
  return { app, url: await app.listen({ port: 0, host: "127.0.0.1" }) };
}

async function createSession(server: Server): Promise<{ id: string; authToken: string }> {
  const res = await fetch(`${server.url}/v1/sessions`, { method: "POST", headers, body: createBody });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; authToken: string };
}

/** A session whose decision is settled: its reads are served from the state, with no Face call. */
async function settledSession(server: Server, emulator: RunningEmulator): Promise<string> {
  const session = await createSession(server);
  await fetch(`${emulator.url}/face/v1.2/detectLiveness/singleModal`, {
    method: "POST",
    headers: { authorization: `Bearer ${session.authToken}`, "content-type": "application/json" },
    body: JSON.stringify({ livenessDecision: "spoofface" }),
  });
  const read = (await (await fetch(`${server.url}/v1/sessions/${session.id}`, { headers })).json()) as { decision: { decidedAt: string | null } };
  if (read.decision.decidedAt === null) throw new Error("the bench session did not settle");
  return session.id;
}

/** The state-bound paths: create (one Face call and the writes), and a settled read (the state only, no Face call). */
function statePaths(server: Server, settledId: string): Array<[string, autocannon.Options]> {
  return [
    ["create POST /v1/sessions", { url: `${server.url}/v1/sessions`, method: "POST", headers, body: createBody }],
    ["settled read GET /v1/sessions/{id}", { url: `${server.url}/v1/sessions/${settledId}`, headers }],
  ];
}

/** Redis bytes per tracked session: INFO used_memory before and after creating them, divided by their number. */
async function memoryPerSession(server: Server, redis: BenchRedis): Promise<number> {
  const before = await redis.usedMemory();
  const queue = Array.from({ length: trackedSessions }, (_, i) => i);
  await Promise.all(Array.from({ length: connections }, async () => {
    while (queue.shift() !== undefined) await createSession(server);
  }));
  return ((await redis.usedMemory()) - before) / trackedSessions;
}

function table(title: string, rows: Array<Measured & { ratio: number }>, ratioOf: string): string {
  const lines = [`\n${title}\n`, `${"scenario".padEnd(52)}${"req/s".padStart(10)}${ratioOf.padStart(14)}${"p99 ms".padStart(9)}${"non-2xx".padStart(9)}`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(52)}${r.rps.toFixed(0).padStart(10)}${r.ratio.toFixed(3).padStart(14)}${r.p99.toFixed(1).padStart(9)}${String(r.failed).padStart(9)}`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  if (only) {
    process.stdout.write(await runHotPaths({ smoke, seconds, connections, only }));
    return;
  }
  const emulator = await startEmulator({ port: 0 });
  const memory = await startServer(emulator);
  const redis = await startBenchRedis();
  const keyPrefix = `bench-${randomBytes(4).toString("hex")}:`;
  const onRedis = redis && (await startServer(emulator, await openRedisState(redis.url, { keyPrefix, encryptionKeys: [randomBytes(32)] }, systemClock)));

  const probe = await createSession(memory);
  const paths = [
    await measure("baseline: GET /healthz", { url: `${memory.url}/healthz` }),
    await measure("auth refused: GET /v1/sessions/{id}, wrong key", { url: `${memory.url}/v1/sessions/${probe.id}`, headers: { "x-api-key": "wrong-key-0123456789abcdef" } }),
    await measure("read: GET /v1/sessions/{id} (via Face)", { url: `${memory.url}/v1/sessions/${probe.id}`, headers }),
  ];
  // Each state path on both backends back to back, so both see the same machine; the first round only warms up.
  const memoryPaths: Measured[] = [];
  const redisPaths: Measured[] = [];
  const memoryScenarios = statePaths(memory, await settledSession(memory, emulator));
  const redisScenarios = onRedis ? statePaths(onRedis, await settledSession(onRedis, emulator)) : [];
  for (const [i, [name, options]] of memoryScenarios.entries()) {
    const other = redisScenarios[i];
    if (other) await measure("warm-up", { ...other[1], duration: Math.min(seconds, 1) });
    await measure("warm-up", { ...options, duration: Math.min(seconds, 1) });
    memoryPaths.push(await measure(`memory: ${name}`, options));
    if (other) redisPaths.push(await measure(`redis: ${other[0]}`, other[1]));
  }
  const bytesPerSession = onRedis && redis ? await memoryPerSession(onRedis, redis) : undefined;
  await memory.app.close();
  await onRedis?.app.close();
  await redis?.stop();
  await emulator.close();

  const baseline = paths[0]!.rps || 1;
  process.stdout.write(`\n${seconds}s per scenario, ${connections} connections, loopback${smoke ? " (smoke run: numbers are not meaningful)" : ""}\n`);
  process.stdout.write(table("Memory state, against GET /healthz", [...paths, ...memoryPaths].map((r) => ({ ...r, ratio: r.rps / baseline })), "vs healthz"));
  if (!redis) {
    process.stdout.write("\nRedis state: skipped (no redis-server on PATH and no REDIS_URL)\n");
    return;
  }
  const redisRows = redisPaths.map((r, i) => ({ ...r, ratio: r.rps / (memoryPaths[i]!.rps || 1) }));
  process.stdout.write(table("Redis state, against the same path on the memory state", redisRows, "vs memory"));
  process.stdout.write(`\nRedis memory per tracked session: ${Math.round(bytesPerSession!)} bytes (INFO used_memory over ${trackedSessions} sessions)\n`);
  process.stdout.write(await runHotPaths({ smoke, seconds, connections }));
}

await main();
