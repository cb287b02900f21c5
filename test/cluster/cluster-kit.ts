/**
 * A cluster of real processes for the cluster suite: a private redis-server, the standalone Face emulator, N API
 * replicas (src/server.ts) on the one Redis, and a local webhook receiver; every one of them on an ephemeral port.
 * Tests address each replica directly (a load balancer sends any request anywhere; the tests choose where) and
 * count Face calls at the emulator over HTTP, by its own timestamps.
 */
import { randomBytes } from "node:crypto";
import { vi } from "vitest";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";
import { emulatorRequests, emulatorSessions, type SeenRequest } from "../helpers/emulator-client.js";
import { startRedisServer, type RedisServer, type RedisServerOptions } from "../helpers/redis-server.js";
import { SECRET_NEW } from "../webhooks/webhook-kit.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";

export const FACE_KEY = "cluster-face-key-0123456789abcdef";
export const CLIENTS = {
  acme: "cluster-acme-key-0123456789abcdef",
  // Approves a real face without the client digest, so a device attempt alone settles it.
  globex: "cluster-globex-key-0123456789abcdef",
} as const;
export type Client = keyof typeof CLIENTS;
const POLICIES = JSON.stringify({ globex: { decision: { requireClientDigest: false } } });

const listening = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/;
/** Starting a process compiles TypeScript on the fly; on a busy 2-core machine that takes a while. */
const START_TIMEOUT_MS = 60_000;

export interface Replica {
  readonly name: string;
  url: string;
  process: RunningProcess;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: string;
  json: () => Record<string, unknown>;
}

export interface ClusterOptions {
  replicas?: number;
  /** Extra environment for every replica. */
  env?: Record<string, string>;
  redis?: RedisServerOptions;
}

export class Cluster {
  readonly replicas: Replica[] = [];
  readonly encryptionKey = randomBytes(32).toString("base64");
  private constructor(
    readonly redis: RedisServer,
    readonly emulator: RunningProcess,
    readonly faceUrl: string,
    readonly receiver: WebhookReceiver,
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const redis = await startRedisServer(options.redis);
    const emulator = startNodeProcess("src/emulator/emulator-server.ts", { FACE_EMULATOR_PORT: "0", FACE_APIKEY: FACE_KEY, LOG_LEVEL: "info" });
    const receiver = await new WebhookReceiver().start();
    try {
      // The standalone emulator logs where it listens ("Face emulator listening", with its url) once it does.
      const [, faceUrl] = await emulator.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/, START_TIMEOUT_MS);
      const cluster = new Cluster(redis, emulator, faceUrl!, receiver, options.env ?? {});
      await Promise.all(Array.from({ length: options.replicas ?? 2 }, (_, i) => cluster.startReplica(String.fromCharCode(65 + i))));
      return cluster;
    } catch (error) {
      await emulator.stop("SIGKILL");
      await receiver.close();
      await redis.stop();
      throw error;
    }
  }

  replica(name: string): Replica {
    const found = this.replicas.find((r) => r.name === name);
    if (!found) throw new Error(`no replica ${name}`);
    return found;
  }

  async startReplica(name: string): Promise<Replica> {
    const process = startNodeProcess("src/server.ts", {
      FACE_ENDPOINT: this.faceUrl,
      FACE_APIKEY: FACE_KEY,
      API_KEYS: Object.entries(CLIENTS)
        .map(([client, key]) => `${client}:${key}`)
        .join(","),
      CLIENT_POLICIES: POLICIES,
      REDIS_URL: this.redis.url,
      STATE_ENCRYPTION_KEY: this.encryptionKey,
      WEBHOOK_SECRET: SECRET_NEW,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
      PORT: "0",
      LOG_LEVEL: "info",
      ...this.env,
    });
    const [, url] = await process.waitFor(listening, START_TIMEOUT_MS);
    const replica = { name, url: url!, process };
    this.replicas.push(replica);
    return replica;
  }

  /**
   * SIGSTOP: the replica is frozen (no timer, no claim, no answer) until resume(), as a stalled process is; its
   * connections stay open. A test uses it to decide which replica takes the work first.
   */
  pause(name: string): void {
    this.replica(name).process.child.kill("SIGSTOP");
  }

  resume(name: string): void {
    this.replica(name).process.child.kill("SIGCONT");
  }

  /** kill -9: no drain, no hand-over, nothing flushed. */
  async kill(name: string): Promise<void> {
    const replica = this.replica(name);
    await replica.process.stop("SIGKILL");
  }

  async api(name: string, method: string, path: string, options: { body?: unknown; client?: Client; headers?: Record<string, string> } = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { "x-api-key": CLIENTS[options.client ?? "acme"], ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.replica(name).url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body, json: () => JSON.parse(body) as Record<string, unknown> };
  }

  /** Every Face call the emulator saw, oldest first, with its own timestamps. */
  async faceRequests(): Promise<SeenRequest[]> {
    return (await emulatorRequests(this.faceUrl, FACE_KEY)).requests;
  }

  /** Face's bad day, over the emulator's HTTP fault routes (PUT /emulator/faults: replaces the plan). */
  async faceFaults(rules: unknown[]): Promise<void> {
    const response = await fetch(`${this.faceUrl}/emulator/faults`, {
      method: "PUT",
      headers: { "Ocp-Apim-Subscription-Key": FACE_KEY, "content-type": "application/json" },
      body: JSON.stringify({ rules }),
    });
    if (response.status !== 200) throw new Error(`PUT /emulator/faults answered ${response.status}: ${await response.text()}`);
  }

  async faceSessions(): Promise<string[]> {
    return (await emulatorSessions(this.faceUrl, FACE_KEY)).map((s) => s.sessionId);
  }

  /** Every process's output, for a failing test's message. */
  output(): string {
    return this.replicas.map((r) => `--- replica ${r.name}\n${r.process.output().slice(-4000)}`).join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.process.stop("SIGKILL")));
    await this.emulator.stop("SIGKILL");
    await this.receiver.close();
    await this.redis.stop();
  }
}

/** Waits for a condition with bounded polling (never a fixed sleep followed by an assertion). */
export const eventually = (check: () => void | Promise<void>, timeout = 30_000) => vi.waitFor(check, { timeout, interval: 100 });

/** Face calls of one operation on one session. */
export const callsOn = (seen: SeenRequest[], sessionId: string, operation: string) => seen.filter((r) => r.sessionId === sessionId && r.operation === operation);
