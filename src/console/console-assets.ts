/**
 * The console's built files (vite's output under dist/console-assets), read once at startup into memory: a few small
 * files, served by exact path only, so no request path is ever joined onto the file system.
 */
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";

export interface ConsoleAsset {
  body: Buffer;
  type: string;
  /** Fingerprinted by the build (assets/<name>-<hash>.<ext>): cacheable for good. */
  immutable: boolean;
}

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** Files by their path under /console (e.g. "index.html", "assets/index-abc123.js"); undefined when not built. */
export async function loadConsoleAssets(dir: string): Promise<Map<string, ConsoleAsset> | undefined> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch {
    return undefined;
  }
  const assets = new Map<string, ConsoleAsset>();
  for (const name of names) {
    const type = types[extname(name)];
    // Source maps and anything unexpected stay on disk.
    if (!type) continue;
    const path = relative(dir, join(dir, name)).split(sep).join("/");
    assets.set(path, { body: await readFile(join(dir, name)), type, immutable: path.startsWith("assets/") });
  }
  return assets.has("index.html") ? assets : undefined;
}
