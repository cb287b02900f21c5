import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The typed client's tests run with the server's, against the real server and emulator.
    include: ["test/**/*.test.ts", "clients/typescript/test/**/*.test.ts"],
    environment: "node",
    // Each test file runs in its own process, so nock's interceptors and process-wide state never leak between files.
    pool: "forks",
    // Decides once where the Redis suites find a redis-server (or skips them with one line, or fails under REQUIRE_REDIS=1).
    // Likewise for the browser suites and Chromium (REQUIRE_BROWSER=1), and the metrics suites and promtool (REQUIRE_PROMTOOL=1).
    globalSetup: ["test/helpers/redis-global-setup.ts", "test/helpers/browser-global-setup.ts", "test/helpers/promtool-global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // In CI, also write machine-readable totals for .ci/run's closing line (one file per run: it runs some suites on
    // several Node versions).
    reporters: process.env.CI ? ["default", ["json", { outputFile: process.env.VITEST_RESULTS_FILE ?? ".vitest-results.json" }]] : ["default"],
  },
});
