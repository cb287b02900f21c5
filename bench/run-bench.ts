/**
 * `npm run bench`: throughput of the main paths, as ratios against a baseline measured in the same run (GET
 * /healthz on the same server), so a noisy machine moves both numbers alike. Everything runs on loopback: the API
 * on an ephemeral port, talking over HTTP to the embedded Face emulator. Each scenario is bounded in time.
 *
 * BENCH_SECONDS (default 3) sets each scenario's duration; BENCH_CONNECTIONS (default 10) its concurrency.
 * Then the hot-path table (bench-hot-paths.ts). `--smoke` runs every scenario very briefly: it proves the bench runs,
 * its numbers mean little.
 */
import autocannon, { type Result } from "autocannon";
import { buildApp } from "../src/app.js";
import { DEV_API_KEY, loadConfig } from "../src/config.js";
import { startEmulator } from "../src/emulator/emulator-server.js";
import { createLogger } from "../src/logger.js";
import { runHotPaths } from "./bench-hot-paths.js";

const smoke = process.argv.includes("--smoke");
const seconds = smoke ? 0.3 : Number(process.env.BENCH_SECONDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Scenario {
  name: string;
  options: Partial<autocannon.Options>;
}

function run(url: string, scenario: Scenario): Promise<Result> {
  return autocannon({ url, duration: seconds, connections, ...scenario.options }) as unknown as Promise<Result>;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ port: 0 });
  const base = loadConfig({
    // The bench measures our overhead, not Face's quota or our own rate limits.
    FACE_MAX_QUEUE: "10000",
    RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
    CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000 } }),
  });
  // Above what the env schema allows on purpose: the guard's pacing would otherwise be what is measured.
  const guard = { ...base.face.guard, maxTps: 1_000_000, burst: 1_000_000 };
  const app = await buildApp({ ...base, face: { ...base.face, endpoint: emulator.url, guard } }, { logger: createLogger("silent") });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const headers = { "x-api-key": DEV_API_KEY, "content-type": "application/json" };

  const created = await fetch(`${url}/v1/sessions`, { method: "POST", headers, body: JSON.stringify({ kind: "liveness", deviceCorrelationId: "bench" }) });
  const sessionId = ((await created.json()) as { id: string }).id;

  const scenarios: Scenario[] = [
    { name: "baseline: GET /healthz", options: { url: `${url}/healthz` } },
    { name: "auth refused: GET /v1/sessions/{id}, wrong key", options: { url: `${url}/v1/sessions/${sessionId}`, headers: { "x-api-key": "wrong-key-0123456789abcdef" } } },
    { name: "read: GET /v1/sessions/{id} (via Face)", options: { url: `${url}/v1/sessions/${sessionId}`, headers } },
    {
      name: "create: POST /v1/sessions (liveness)",
      options: { url: `${url}/v1/sessions`, method: "POST", headers, body: JSON.stringify({ kind: "liveness", deviceCorrelationId: "bench" }) },
    },
  ];

  const results: { name: string; rps: number; p99: number; non2xx: number; errors: number }[] = [];
  for (const scenario of scenarios) {
    const result = await run(scenario.options.url ?? url, scenario);
    results.push({ name: scenario.name, rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors });
  }
  await app.close();
  await emulator.close();

  const baseline = results[0]!.rps || 1;
  process.stdout.write(`\n${seconds}s per scenario, ${connections} connections, loopback\n\n`);
  process.stdout.write(`${"scenario".padEnd(52)}${"req/s".padStart(10)}${"ratio".padStart(8)}${"p99 ms".padStart(9)}${"non-2xx".padStart(9)}\n`);
  for (const r of results) {
    process.stdout.write(
      `${r.name.padEnd(52)}${r.rps.toFixed(0).padStart(10)}${(r.rps / baseline).toFixed(3).padStart(8)}${r.p99.toFixed(1).padStart(9)}${String(r.non2xx + r.errors).padStart(9)}\n`,
    );
  }
  process.stdout.write(await runHotPaths({ smoke, seconds, connections }));
}

await main();
