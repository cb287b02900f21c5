import { describe, expect, it } from "vitest";
import { planBrowser } from "./browser-global-setup.js";

describe("the run's browser plan", () => {
  it("when there is no Chromium, then the browser suites are named in one skip line that says how to enable them", async () => {
    const plan = await planBrowser({ CHROMIUM_PATH: "/nonexistent/chromium" });
    expect(plan.chromium).toBeNull();
    expect(plan.notice?.split("\n")).toHaveLength(1);
    expect(plan.notice).toContain("test/browser/console.test.ts");
    expect(plan.notice).toContain("apt-get install chromium");
  });

  it("when REQUIRE_BROWSER=1 and there is no Chromium, then the run fails", async () => {
    await expect(planBrowser({ CHROMIUM_PATH: "/nonexistent/chromium", REQUIRE_BROWSER: "1" })).rejects.toThrow(/REQUIRE_BROWSER=1/);
  });

  it("when CHROMIUM_PATH names an executable, then the suites use it", async () => {
    const plan = await planBrowser({ CHROMIUM_PATH: process.execPath });
    expect(plan).toEqual({ chromium: process.execPath });
  });
});
