/**
 * docker/compose.yaml, read as compose reads it (YAML with merge keys, ${VAR:-default} with nothing set), checked
 * against what the code and the docs promise. The image itself is built and run by docker/test-image.sh.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.js";
import { loadEmulatorConfig } from "../../src/emulator/emulator-config.js";

const repo = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repo), "utf8");

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  read_only?: boolean;
  init?: boolean;
}

const compose = parse(read("docker/compose.yaml"), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { services } = compose;
const apiNames = ["api-1", "api-2"];

/** Compose's interpolation with an empty shell environment: ${VAR:-default} is the default, ${VAR} is empty. */
function interpolated(environment: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [name, String(value).replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? "")]),
  );
}

function dockerfileInstruction(keyword: string): string {
  const joined = read("docker/Dockerfile").replace(/\\\n\s*/g, " ");
  const lines = joined.split("\n").filter((line) => line.startsWith(`${keyword} `));
  expect(lines, `one ${keyword} in docker/Dockerfile`).toHaveLength(1);
  return lines[0]!.slice(keyword.length + 1).trim();
}

describe("docker/compose.yaml", () => {
  it("when read, then it holds two API replicas, the emulator, Redis, and Prometheus behind the metrics profile", () => {
    expect(Object.keys(services).sort()).toEqual(["api-1", "api-2", "emulator", "prometheus", "redis"]);
    expect(services.prometheus!.profiles).toEqual(["metrics"]);
    for (const name of [...apiNames, "emulator", "redis"]) expect(services[name]!.profiles, name).toBeUndefined();
  });

  it("when the replicas and the emulator are read, then they run one image built from the repository's Dockerfile", () => {
    for (const name of [...apiNames, "emulator"]) {
      const service = services[name]!;
      expect(service.image, name).toBe("liveness-session-orchestrator:local");
      expect(service.build, name).toEqual({ context: "..", dockerfile: "docker/Dockerfile" });
      expect(service.read_only, name).toBe(true);
      expect(service.init, name).toBe(true);
    }
    expect(existsSync(new URL("docker/Dockerfile", repo))).toBe(true);
  });

  it("when a replica is read, then it runs the image's CMD, the API server, with the image's /healthz HEALTHCHECK", () => {
    expect(dockerfileInstruction("CMD")).toBe('["node", "dist/server.js"]');
    expect(dockerfileInstruction("HEALTHCHECK")).toMatch(/CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.PORT \|\| 3000\) \+ '\/healthz'/);
    for (const name of apiNames) {
      expect(services[name]!.command, name).toBeUndefined();
      expect(services[name]!.healthcheck, name).toBeUndefined();
      expect(services[name]!.depends_on, name).toEqual({ redis: { condition: "service_healthy" }, emulator: { condition: "service_healthy" } });
    }
  });

  it("when a replica's environment is loaded by the real config, then it is valid and points at the emulator service over plain http", () => {
    const emulator = loadEmulatorConfig(interpolated(services.emulator!.environment));
    for (const name of apiNames) {
      const env = interpolated(services[name]!.environment);
      // The image supplies HOST and PORT.
      const config = loadConfig({ ...env, HOST: "0.0.0.0", PORT: "3000" });
      expect(config.face.endpoint, name).toBe(`http://emulator:${emulator.FACE_EMULATOR_PORT}`);
      expect(config.face.apiKey, name).toBe(emulator.FACE_APIKEY);
      expect(config.apiKeys, name).toEqual([{ clientId: "dev", key: "dev-only-insecure-api-key" }]);
      expect(config.state, name).toMatchObject({ backend: "redis", redis: { url: "redis://redis:6379", keyPrefix: "lso:" } });
      expect(env.REDIS_URL, name).toBe("redis://redis:6379");
      expect(env.STATE_BACKEND, name).toBe("redis");
      // STATE_ENCRYPTION_KEY: base64 of 32 bytes.
      expect(Buffer.from(env.STATE_ENCRYPTION_KEY!, "base64")).toHaveLength(32);
      // Metrics on an unpublished port of their own, for the stack's Prometheus.
      expect(config.metrics, name).toEqual({ enabled: true, port: 9464 });
    }
  });

  it("when the emulator service is read, then it runs the standalone emulator on 0.0.0.0 with a keyed healthcheck on its port", () => {
    const emulator = services.emulator!;
    expect(emulator.command).toEqual(["node", "dist/emulator/emulator-server.js"]);
    expect(existsSync(new URL("src/emulator/emulator-server.ts", repo))).toBe(true);
    const config = loadEmulatorConfig(interpolated(emulator.environment));
    expect(config).toMatchObject({ FACE_EMULATOR_HOST: "0.0.0.0", FACE_EMULATOR_PORT: 5001 });
    expect(emulator.ports).toEqual([`127.0.0.1:5001:${config.FACE_EMULATOR_PORT}`]);
    expect(emulator.healthcheck!.test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(emulator.healthcheck!.test[3]).toContain(`http://127.0.0.1:${config.FACE_EMULATOR_PORT}/emulator/faults`);
    expect(emulator.healthcheck!.test[3]).toContain("process.env.FACE_APIKEY");
  });

  it("when Redis is read, then it persists with AOF on a named volume and is checked with redis-cli ping", () => {
    const redis = services.redis!;
    expect(redis.command).toEqual(["redis-server", "--appendonly", "yes"]);
    expect(redis.volumes).toEqual(["redis-data:/data"]);
    expect(Object.keys(compose.volumes)).toEqual(["redis-data"]);
    expect(redis.healthcheck!.test).toEqual(["CMD", "redis-cli", "ping"]);
  });

  it("when ports are read, then the replicas, the emulator and Prometheus publish distinct loopback ports", () => {
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(published.every((p) => p.startsWith("127.0.0.1:"))).toBe(true);
    const hostPorts = published.map((p) => p.split(":")[1]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(services["api-1"]!.ports).toEqual(["127.0.0.1:3000:3000"]);
    expect(services["api-2"]!.ports).toEqual(["127.0.0.1:3001:3000"]);
  });

  it("when Prometheus's configuration is read, then it scrapes /metrics on every replica's METRICS_PORT and loads the alert rules", () => {
    expect(services.prometheus!.volumes).toEqual(["./prometheus.yml:/etc/prometheus/prometheus.yml:ro", "../docs/prometheus-rules.yaml:/etc/docs/prometheus-rules.yaml:ro"]);
    const prometheus = parse(read("docker/prometheus.yml")) as {
      rule_files: string[];
      scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    // A path relative to prometheus.yml: the same file in the repository and at the container's mount.
    expect(prometheus.rule_files).toEqual(["../docs/prometheus-rules.yaml"]);
    expect(existsSync(new URL("docker/../docs/prometheus-rules.yaml", repo))).toBe(true);
    const [job] = prometheus.scrape_configs;
    expect(job!.metrics_path).toBe("/metrics");
    const metricsPort = interpolated(services["api-1"]!.environment).METRICS_PORT;
    expect(job!.static_configs.flatMap((c) => c.targets)).toEqual(apiNames.map((name) => `${name}:${metricsPort}`));
    // Not published: only the stack's own network reaches it.
    expect(Object.values(services).flatMap((s) => s.ports ?? []).some((p) => p.endsWith(`:${metricsPort}`))).toBe(false);
  });

  it("when the docs are read, then they give the compose command and README links the operations guide", () => {
    expect(read("docs/operations.md")).toContain("docker compose -f docker/compose.yaml up");
    expect(read("README.md")).toContain("](docs/operations.md)");
  });
});

describe("the build context", () => {
  const ignore = read(".dockerignore")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));

  it("when .dockerignore is read, then it excludes everything and lets back in only what the Dockerfile copies", () => {
    expect(ignore[0]).toBe("*");
    const allowed = ignore.filter((line) => line.startsWith("!")).map((line) => line.slice(1).replace(/\/$/, ""));
    const copied = [...read("docker/Dockerfile").matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(allowed.sort()).toEqual([...new Set(copied)].sort());
    for (const kept of ["test", ".git", ".env", "node_modules", "dist", "coverage"]) expect(allowed, kept).not.toContain(kept);
    expect(ignore).toContain("**/.env");
  });
});
