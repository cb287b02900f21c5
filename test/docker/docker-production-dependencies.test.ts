/**
 * The image installs production dependencies only (`npm ci --omit=dev`), so a package that src/ loads at run time but
 * the lockfile marks dev-only is missing there, and the server dies on its first import. docker/test-image.sh finds
 * that by running the image; this finds it in a second, from the sources and the lockfile.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const repo = new URL("../../", import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, repo), "utf8")) as Record<string, unknown>;

/** Packages src/ imports at run time: `import type` is erased, every other import (verbatimModuleSyntax) stays. */
function runtimePackages(): Map<string, string> {
  const found = new Map<string, string>();
  const files = readdirSync(new URL("src/", repo), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  const specifiers = /^\s*(?:import(?!\s+type\b)[^;]*?\sfrom\s*|import\s*|export\s[^;]*?\sfrom\s*)"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm;
  for (const file of files) {
    for (const match of readFileSync(new URL(`src/${file}`, repo), "utf8").matchAll(specifiers)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
      const parts = specifier.split("/");
      const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
      if (!found.has(name)) found.set(name, `src/${file}`);
    }
  }
  return found;
}

describe("production dependencies", () => {
  const dependencies = (json("package.json").dependencies ?? {}) as Record<string, string>;
  const lockPackages = (json("package-lock.json").packages ?? {}) as Record<string, { dev?: boolean }>;
  const packages = runtimePackages();

  it("when src/ is scanned, then it finds the packages the server loads (the scan itself works)", () => {
    expect([...packages.keys()]).toEqual(expect.arrayContaining(["fastify", "zod", "pino"]));
  });

  it("when a package is loaded at run time, then package.json lists it under dependencies", () => {
    expect([...packages].filter(([name]) => !(name in dependencies)).map(([name, file]) => `${name} (${file})`)).toEqual([]);
  });

  it("when a package is loaded at run time, then the lockfile does not mark it dev-only, so npm ci --omit=dev installs it", () => {
    expect([...packages].filter(([name]) => lockPackages[`node_modules/${name}`]?.dev).map(([name, file]) => `${name} (${file})`)).toEqual([]);
  });
});
