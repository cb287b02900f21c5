/**
 * A real redis-server for one test file: an ephemeral port, its own temp dir, no RDB snapshots (`--save ""`), AOF
 * on request, a password on request, stopped in afterAll. restart() brings the same server back on the same port
 * and dir, so AOF tests can prove what survives a restart; halt() and resume() do the same in two steps, so a test
 * can look at its app while Redis is away.
 *
 * Where Redis comes from is decided once per run by redis-global-setup.ts: a local redis-server binary (preferred:
 * a private server per file), else REDIS_URL (a shared server: each file then works under its own key prefix and
 * cannot restart it). With neither, `describeRedis` suites are skipped and the global setup prints one line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { freePort } from "./free-port.js";

export interface RedisSource {
  /** Path of the redis-server binary to start per file, when there is one. */
  bin?: string;
  /** A running server to share, used when there is no binary. */
  url?: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    redis: RedisSource | null;
  }
}

/** Where this run's Redis comes from; null when there is none (the suites are skipped). */
export const redisSource: RedisSource | null = inject("redis");

/** describe() when a Redis is available, describe.skip() otherwise (the global setup names the skipped files). */
export const describeRedis = redisSource ? describe : describe.skip;

export interface RedisServer {
  /** redis://host:port, or redis://:password@host:port with a password */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True for a shared REDIS_URL server: no restart, and keys of other runs may be present. */
  readonly external: boolean;
  /** A fresh prefix under which a test's keys cannot meet any other test's. */
  keyPrefix(): string;
  /** A new connection, closed by stop(). */
  client(options?: RedisOptions): Redis;
  /** Stops the server and starts it again on the same port and dir (AOF replayed, when on). */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM: AOF flushed; SIGKILL: a crash) and keeps its port and dir for resume(). */
  halt(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts a halted server again on the same port and dir. */
  resume(): Promise<void>;
  /** Closes every client handed out, stops the server and removes its dir. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  appendOnly?: boolean;
  /** appendfsync: "always" makes every acknowledged write durable, even through a kill -9 of the server. */
  appendFsync?: "always" | "everysec" | "no";
  /** requirepass: clients must AUTH (the URL carries it). */
  password?: string;
}

const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 10_000;

/**
 * The pid of the redis-server answering on `port`, or undefined while nothing answers. A raw socket, so no client
 * retries or queues blur the answer; the pid tells our server from another one that won the port first.
 */
function answeringPid(host: string, port: number, password?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = "";
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.once("error", () => done(undefined));
    socket.once("connect", () => socket.write(`${password === undefined ? "" : `AUTH ${password}\r\n`}INFO server\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      const match = /process_id:(\d+)/.exec(reply);
      if (match) done(Number(match[1]));
      else if (reply.startsWith("-")) done(undefined);
    });
  });
}

interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

function spawnServer(bin: string, port: number, dir: string, options: RedisServerOptions): Running {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", options.appendOnly ? "yes" : "no", "--daemonize", "no"];
  if (options.password !== undefined) args.push("--requirepass", options.password);
  if (options.appendFsync !== undefined) args.push("--appendfsync", options.appendFsync);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, output: () => output, exited };
}

/** Starts on `port` and waits until it answers; undefined when the port turned out to be taken. */
async function startOn(bin: string, port: number, dir: string, options: RedisServerOptions): Promise<Running | undefined> {
  const running = spawnServer(bin, port, dir, options);
  let exited = false;
  void running.exited.then(() => (exited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) return undefined;
    const pid = await answeringPid("127.0.0.1", port, options.password);
    if (pid === running.child.pid) return running;
    // Another server holds the port: ours cannot have it ("Address already in use").
    if (pid !== undefined) {
      running.child.kill("SIGKILL");
      await running.exited;
      return undefined;
    }
    await sleep(25);
  }
  running.child.kill("SIGKILL");
  throw new Error(`redis-server on port ${port} did not answer; output:\n${running.output()}`);
}

async function stopProcess(running: Running, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
  await running.exited;
}

function sharedServer(url: string): RedisServer {
  const parsed = new URL(url);
  const clients = new Set<Redis>();
  const runPrefix = `lso-test-${randomBytes(4).toString("hex")}`;
  let counter = 0;
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    external: true,
    keyPrefix: () => `${runPrefix}-${++counter}:`,
    client(options = {}) {
      const client = new Redis(url, { maxRetriesPerRequest: 2, ...options });
      client.on("error", () => undefined);
      clients.add(client);
      return client;
    },
    async restart() {
      throw new Error("a shared REDIS_URL server cannot be restarted by a test");
    },
    async halt() {
      throw new Error("a shared REDIS_URL server cannot be stopped by a test");
    },
    async resume() {
      throw new Error("a shared REDIS_URL server cannot be restarted by a test");
    },
    async stop() {
      // Leave the shared server as we found it: our keys go, everyone else's stay.
      const cleaner = new Redis(url, { maxRetriesPerRequest: 2 });
      try {
        for await (const keys of cleaner.scanStream({ match: `${runPrefix}-*`, count: 500 }) as AsyncIterable<string[]>) {
          if (keys.length > 0) await cleaner.unlink(...keys);
        }
      } finally {
        cleaner.disconnect();
      }
      await Promise.all([...clients].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

async function privateServer(bin: string, options: RedisServerOptions): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "lso-redis-"));
  let port = 0;
  let running: Running | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS && !running; attempt += 1) {
    port = await freePort();
    running = await startOn(bin, port, dir, options);
  }
  if (!running) throw new Error(`redis-server could not start after ${START_ATTEMPTS} ports`);
  // A worker that dies without afterAll must not leave the server behind.
  const killOnExit = () => running?.child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const halt = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    if (running) await stopProcess(running, signal);
    running = undefined;
  };
  const resume = async () => {
    // Same port: clients reconnect to it on their own. Someone may grab it in the gap; waiting usually frees it.
    for (let attempt = 0; attempt < START_ATTEMPTS && !running; attempt += 1) {
      running = await startOn(bin, port, dir, options);
      if (!running) await sleep(200);
    }
    if (!running) throw new Error(`redis-server could not restart on port ${port}`);
  };

  const clients = new Set<Redis>();
  let counter = 0;
  const url = `redis://${options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`}127.0.0.1:${port}`;
  return {
    url,
    host: "127.0.0.1",
    port,
    external: false,
    keyPrefix: () => `t${++counter}:`,
    client(clientOptions = {}) {
      const client = new Redis(url, { maxRetriesPerRequest: 2, ...clientOptions });
      // Refused reconnects while a test restarts the server are expected; a failing command still rejects.
      client.on("error", () => undefined);
      clients.add(client);
      return client;
    },
    async restart() {
      await halt();
      await resume();
    },
    halt,
    resume,
    async stop() {
      await Promise.all([...clients].map((c) => c.quit().catch(() => c.disconnect())));
      if (running) await stopProcess(running);
      process.off("exit", killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts this run's Redis for the caller (which must stop() it). Throws when the run has none. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (redisSource?.bin) return privateServer(redisSource.bin, options);
  if (redisSource?.url) return sharedServer(redisSource.url);
  throw new Error("no Redis for this run: install redis-server or set REDIS_URL");
}

/**
 * beforeAll/afterAll around a server for the whole file; call at the top of a `describeRedis` block. The getter
 * answers once beforeAll has run.
 */
export function useRedisServer(options: RedisServerOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("the Redis server is not started yet (use it inside a test or a hook)");
    return server;
  };
}
