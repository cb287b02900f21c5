/**
 * docs/prometheus-rules.yaml: valid for promtool, its alerts fire on the series they are for (promtool test rules
 * with test/metrics/prometheus-rules.test.yaml), every metric it reads is one the code defines, and every alert
 * links to its runbook entry in docs/operations.md.
 */
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/child-process.js";
import { itPromtool, promtool } from "../helpers/promtool.js";

const read = (path: string) => readFile(new URL(path, `file://${repoRoot}`), "utf8");

/** Metric names the code registers (every "lso_..." string in src/metrics), with a histogram's series suffixes. */
async function definedMetrics(): Promise<Set<string>> {
  const dir = new URL("src/metrics/", `file://${repoRoot}`);
  const names = new Set<string>();
  for (const file of await readdir(dir)) {
    for (const [, name] of (await readFile(new URL(file, dir), "utf8")).matchAll(/"(lso_[a-z_]+)"/g)) {
      for (const suffix of ["", "_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/\s+/g, "-");

describe("the Prometheus alert rules", () => {
  itPromtool("when checked with promtool check rules, then they are valid", async () => {
    const result = await promtool(["check", "rules", `${repoRoot}docs/prometheus-rules.yaml`]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("SUCCESS: 11 rules found");
  });

  itPromtool("when their unit tests run (promtool test rules), then each alert fires on its series and not on healthy ones", async () => {
    const result = await promtool(["test", "rules", `${repoRoot}test/metrics/prometheus-rules.test.yaml`]);
    expect(result.code, result.output).toBe(0);
  });

  it("when their expressions are read, then every metric they use is one the code defines", async () => {
    const rules = await read("docs/prometheus-rules.yaml");
    const used = [...new Set([...rules.matchAll(/\b(lso_[a-z_]+)/g)].map(([, name]) => name!))];
    const defined = await definedMetrics();
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !defined.has(name))).toEqual([]);
  });

  it("when their runbook links are followed, then each lands on a heading of docs/operations.md", async () => {
    const rules = await read("docs/prometheus-rules.yaml");
    const operations = await read("docs/operations.md");
    const anchors = new Set([...operations.matchAll(/^#{2,4} (.+)$/gm)].map(([, heading]) => anchorOf(heading!)));
    const links = [...rules.matchAll(/runbook_url: "docs\/operations\.md#([a-z0-9-]+)"/g)].map(([, anchor]) => anchor!);
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map(([, name]) => name!);
    expect(links).toEqual(alerts.map((name) => name.toLowerCase()));
    expect(links.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });
});
