/**
 * vitest globalSetup: decides once per run whether the browser suites have a Chromium (browser.ts reads it with
 * inject("chromium")). Modelled on redis-global-setup.ts: with none, the suites are skipped and ONE line says which
 * and how to run them; with REQUIRE_BROWSER=1 (CI) a missing Chromium fails the run instead, so CI never passes by
 * skipping. playwright-core drives the system's Chromium: its own browser downloads do not work on these machines.
 */
import { constants } from "node:fs";
import { access, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Test files that drive a browser: they import the browser helper. */
async function browserSuites(): Promise<string[]> {
  const files = (await readdir(join(root, "test"), { recursive: true })).filter((f) => f.endsWith(".test.ts"));
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(join(root, "test", file), "utf8");
    if (/\/browser\.js["']/.test(text)) found.push(relative(root, join(root, "test", file)));
  }
  return found.sort();
}

export interface BrowserPlan {
  /** The Chromium executable, or null when there is none (the suites are skipped). */
  chromium: string | null;
  /** The one line to print when the suites are skipped. */
  notice?: string;
}

/** Where Chromium is under `env` (CHROMIUM_PATH, else Debian's); throws when REQUIRE_BROWSER=1 and there is none. */
export async function planBrowser(env: NodeJS.ProcessEnv): Promise<BrowserPlan> {
  const candidate = env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  try {
    await access(candidate, constants.X_OK);
    return { chromium: candidate };
  } catch {
    // not there: skip, or fail under REQUIRE_BROWSER
  }
  const suites = await browserSuites();
  const how = `install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to run them`;
  if (env.REQUIRE_BROWSER === "1") {
    throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${candidate}; ${how}: ${suites.join(", ")}`);
  }
  return { chromium: null, notice: `Browser suites skipped (${suites.length} files: ${suites.join(", ")}): no Chromium at ${candidate}; ${how}.` };
}

export default async function setup(project: TestProject): Promise<void> {
  const plan = await planBrowser(process.env);
  project.provide("chromium", plan.chromium);
  if (plan.notice) console.warn(plan.notice);
}
