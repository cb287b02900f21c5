/**
 * A real Chromium for browser suites: Debian's binary driven by playwright-core (its own downloads do not work on
 * these machines), headless, with a fresh profile per launch. Whether there is one is decided once per run by
 * browser-global-setup.ts; without one, `describeBrowser` suites are skipped and the global setup prints one line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium as playwright, type BrowserContext, type Page } from "playwright-core";
import { describe, inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    chromium: string | null;
  }
}

/** The Chromium executable for this run; null when there is none (the suites are skipped). */
export const chromiumPath: string | null = inject("chromium");

/** describe() when a Chromium is available, describe.skip() otherwise (the global setup names the skipped files). */
export const describeBrowser = chromiumPath ? describe : describe.skip;

/** What every launch passes: no GPU, sandbox or QUIC (none work in these containers), and nothing phoning home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface RunningBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh --user-data-dir (playwright's persistent context owns that flag). */
export async function launchChromium(): Promise<RunningBrowser> {
  if (!chromiumPath) throw new Error("launchChromium needs a Chromium; guard the suite with describeBrowser");
  const profile = await mkdtemp(join(tmpdir(), "lso-chromium-"));
  const context = await playwright.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    // Timeouts are generous on purpose: the machine is shared; no test measures time.
    timeout: 60_000,
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = (createRequire(import.meta.url)("axe-core") as { source: string }).source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page and returns its serious and critical violations. The script goes in through the
 * devtools protocol (evaluate), not a <script> tag, so the page's CSP stays in force and is tested as shipped.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // Runs in the page: its globals are typed here by hand (the test project has no DOM lib).
    const { axe, document } = globalThis as unknown as {
      document: unknown;
      axe: { run(context: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> };
    };
    const result = await axe.run(document);
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}
