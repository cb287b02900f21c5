/**
 * Every relative link in README.md and docs/**\/*.md resolves: the file (or folder) exists, and a `#fragment` into a
 * Markdown page names one of its headings, slugged the way GitHub does.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith(".md") ? [join(dir, entry.name)] : [],
    );
  return ["README.md", ...walk("docs")];
}

/** Text outside fenced code blocks, line by line: links and headings inside code are examples, not links. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split("\n").filter((line) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    return !fenced && !/^\s*```/.test(line);
  });
}

/** github-slugger's rule: lower case, drop everything but letters, marks, digits, `_`, `-` and spaces; spaces become `-`. */
function githubSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(readFileSync(file, "utf8"))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = githubSlug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
}

function linksOf(file: string): Link[] {
  return proseLines(readFileSync(join(root, file), "utf8")).flatMap((line) =>
    [...line.replace(/`[^`]*`/g, "``").matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => ({ from: file, target: m[1]! })),
  );
}

/** What is wrong with a link, or undefined when it resolves. */
function brokenBecause({ from, target }: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not ours to check here
  const [path = "", fragment] = target.split("#");
  const file = path === "" ? join(root, from) : resolve(dirname(join(root, from)), decodeURIComponent(path));
  const name = relative(root, file);
  if (!existsSync(file)) return `${name} does not exist`;
  if (fragment === undefined || !file.endsWith(".md") || statSync(file).isDirectory()) return undefined;
  return anchorsOf(file).has(fragment) ? undefined : `${name} has no heading #${fragment}`;
}

describe("links in README.md and docs/", () => {
  const files = markdownFiles();

  it("when the pages are listed, then README and the docs pages are all there, with links to check", () => {
    expect(files).toEqual(expect.arrayContaining(["README.md", "docs/api.md", "docs/errors.md", "docs/configuration.md", "docs/credentials.md", "docs/emulator.md"]));
    expect(linksOf("README.md").filter((l) => !l.target.startsWith("http")).length).toBeGreaterThan(10);
  });

  it.each(files)("when %s is read, then every relative link resolves", (file) => {
    const links = linksOf(file);
    const broken = links.map((link) => ({ target: link.target, problem: brokenBecause(link) })).filter((l) => l.problem !== undefined);
    expect(broken).toEqual([]);
  });

  it("when a heading is slugged, then it matches GitHub's anchors", () => {
    expect(githubSlug("Surviving Face's bad days")).toBe("surviving-faces-bad-days");
    expect(githubSlug("After the decision: cleanup and session images")).toBe("after-the-decision-cleanup-and-session-images");
    expect(githubSlug("API (v1)")).toBe("api-v1");
    expect(githubSlug("`LSO_ERR_*` codes")).toBe("lso_err_-codes");
  });

  it("when a link is broken, then the check says so (the checker itself works)", () => {
    expect(brokenBecause({ from: "README.md", target: "docs/nope.md" })).toBe("docs/nope.md does not exist");
    expect(brokenBecause({ from: "README.md", target: "docs/api.md#no-such-heading" })).toBe("docs/api.md has no heading #no-such-heading");
    expect(brokenBecause({ from: "docs/api.md", target: "#decisions" })).toBeUndefined();
  });
});
