/**
 * vitest globalSetup: decides once per run where the Redis suites get their Redis (redis-server.ts reads it with
 * inject("redis")). With none, the suites are skipped and ONE line says which and how to run them, rather than one
 * line per file; with REQUIRE_REDIS=1 (CI) a missing Redis fails the run instead, so CI never passes by skipping.
 */
import { constants } from "node:fs";
import { access, readdir, readFile } from "node:fs/promises";
import { delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { RedisSource } from "./redis-server.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function onPath(command: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Test files that reach Redis: they import the server helper directly or through the backend list. */
async function redisSuites(): Promise<string[]> {
  const files = (await readdir(join(root, "test"), { recursive: true })).filter((f) => f.endsWith(".test.ts"));
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(join(root, "test", file), "utf8");
    if (/\/(redis-server|state-backends)\.js["']/.test(text)) found.push(relative(root, join(root, "test", file)));
  }
  return found.sort();
}

export interface RedisPlan {
  source: RedisSource | null;
  /** The one line to print when the suites are skipped. */
  notice?: string;
}

/** Where Redis comes from under `env`; throws when REQUIRE_REDIS=1 and there is none. */
export async function planRedis(env: NodeJS.ProcessEnv): Promise<RedisPlan> {
  const bin = await onPath("redis-server", env.PATH ?? "");
  if (bin) return { source: { bin } };
  if (env.REDIS_URL) return { source: { url: env.REDIS_URL } };
  const suites = await redisSuites();
  const how = "install redis-server (apt-get install redis-server) or set REDIS_URL to run them";
  if (env.REQUIRE_REDIS === "1") {
    throw new Error(`REQUIRE_REDIS=1 but redis-server is not on PATH and REDIS_URL is unset; ${how}: ${suites.join(", ")}`);
  }
  return { source: null, notice: `Redis suites skipped (${suites.length} files: ${suites.join(", ")}); ${how}.` };
}

export default async function setup(project: TestProject): Promise<void> {
  const plan = await planRedis(process.env);
  project.provide("redis", plan.source);
  if (plan.notice) console.warn(plan.notice);
}
