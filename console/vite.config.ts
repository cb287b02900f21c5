/**
 * The console's build: Preact (JSX through vite's own transformer, no plugin), output to dist/console-assets
 * (not dist/console: tsc writes src/console's server side there), served by the API at /console. No inline script
 * or style is emitted, so the page runs under CONSOLE_CSP's 'self' only.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/console-assets", import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be an inline script, which the CSP refuses; every browser the console targets has modulepreload.
    modulePreload: { polyfill: false },
    // Keep assets as files: a data: URL would need img-src data: in the CSP.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
