/**
 * vitest globalSetup: decides once per run whether the metrics suites have promtool (promtool.ts reads it with
 * inject("promtool")). Modelled on redis-global-setup.ts: with none, the suites are skipped and ONE line says which
 * and how to run them; with REQUIRE_PROMTOOL=1 (CI) a missing promtool fails the run instead, so CI never passes by
 * skipping.
 */
import { constants } from "node:fs";
import { access, readdir, readFile } from "node:fs/promises";
import { delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function onPath(command: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Test files that run promtool: they import the promtool helper. */
async function promtoolSuites(): Promise<string[]> {
  const files = (await readdir(join(root, "test"), { recursive: true })).filter((f) => f.endsWith(".test.ts"));
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(join(root, "test", file), "utf8");
    if (/\/promtool\.js["']/.test(text)) found.push(relative(root, join(root, "test", file)));
  }
  return found.sort();
}

export interface PromtoolPlan {
  /** The promtool executable, or null when there is none (the suites are skipped). */
  promtool: string | null;
  notice?: string;
}

/** promtool on PATH (Debian's prometheus package puts it in /usr/bin); throws when REQUIRE_PROMTOOL=1 and there is none. */
export async function planPromtool(env: NodeJS.ProcessEnv): Promise<PromtoolPlan> {
  const bin = await onPath("promtool", env.PATH ?? "");
  if (bin) return { promtool: bin };
  const suites = await promtoolSuites();
  const how = "install promtool (apt-get install prometheus) to run them";
  if (env.REQUIRE_PROMTOOL === "1") throw new Error(`REQUIRE_PROMTOOL=1 but promtool is not on PATH; ${how}: ${suites.join(", ")}`);
  return { promtool: null, notice: `promtool suites skipped (${suites.length} files: ${suites.join(", ")}); ${how}.` };
}

export default async function setup(project: TestProject): Promise<void> {
  const plan = await planPromtool(process.env);
  project.provide("promtool", plan.promtool);
  if (plan.notice) console.warn(plan.notice);
}
