/**
 * A private redis-server for the benchmark: from PATH on an ephemeral port with no persistence, or REDIS_URL when
 * there is no binary (then the bench works under its own key prefix). Undefined when there is neither: the Redis
 * scenarios are skipped with a line saying so.
 */
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

export interface BenchRedis {
  url: string;
  /** Bytes Redis uses for data now (INFO memory: used_memory). */
  usedMemory(): Promise<number>;
  stop(): Promise<void>;
}

async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

function measuring(url: string, stopServer: () => Promise<void>): BenchRedis {
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  return {
    url,
    async usedMemory() {
      const info = await client.info("memory");
      return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
    },
    async stop() {
      client.disconnect();
      await stopServer();
    },
  };
}

export async function startBenchRedis(): Promise<BenchRedis | undefined> {
  const bin = await onPath("redis-server");
  if (!bin) return process.env.REDIS_URL ? measuring(process.env.REDIS_URL, async () => undefined) : undefined;
  const port = await freePort();
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  for (let i = 0; i < 200; i += 1) {
    if (await probe.connect().then(() => true, () => false)) break;
    await sleep(25);
  }
  probe.disconnect();
  return measuring(url, async () => {
    child.kill("SIGTERM");
    await exited;
  });
}
