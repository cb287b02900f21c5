/**
 * Redocly's recommended rules over the committed document, with the real CLI (as `npx redocly lint` runs it), so
 * what a client author's tooling would flag fails the build here first. redocly.yaml holds the rule set.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/child-process.js";

const run = promisify(execFile);

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}

const cli = join(dirname(createRequire(import.meta.url).resolve("@redocly/cli/package.json")), "bin/cli.js");

describe("redocly lint", () => {
  it("when openapi/openapi.json is linted with the recommended rules, then it has no error and no warning", async () => {
    // No telemetry and no update check: the lint must not need the network.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
    const { stdout } = await run(process.execPath, [cli, "lint", "openapi/openapi.json", "--config", "redocly.yaml", "--format", "json"], {
      cwd: repoRoot,
      env,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
    const report = JSON.parse(stdout) as LintReport;
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});
