/**
 * The /docs page in a real browser (the system's Chromium, driven by playwright-core): it renders every operation,
 * and everything it loads comes from this server, with no CSP violation. Skipped where Chromium is not installed.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startStack, type TestStack } from "../helpers/app-harness.js";
import { describeBrowser, launchChromium, type RunningBrowser } from "../helpers/browser.js";

describeBrowser("/docs in Chromium", () => {
  let stack: TestStack;
  let browser: RunningBrowser;
  let origin: string;
  beforeAll(async () => {
    stack = await startStack();
    await stack.app.listen({ port: 0, host: "127.0.0.1" });
    origin = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("when the page opens, then it lists every operation and the webhook, loading nothing from elsewhere and breaking no CSP rule", { timeout: 60_000 }, async () => {
    const page = await browser.context.newPage();
    const requested: string[] = [];
    const complaints: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("console", (message) => message.type() === "error" && complaints.push(message.text()));
    page.on("pageerror", (error) => complaints.push(error.message));
    await page.goto(`${origin}/docs`);
    await page.locator(".opblock").nth(12).waitFor({ timeout: 30_000 });

    const operationIds = await page.locator(".opblock .opblock-summary-operation-id").allTextContents();
    expect(operationIds.sort()).toEqual(
      ["clearLockout", "completeSession", "createSession", "deleteSession", "eraseSubject", "getLiveness", "getLockout", "getMetrics", "getReadiness", "getSession", "getSessionAudit", "getSessionImage", "getStartup", "listSessionEvents", "listSessions", "redeliverWebhook", "sessionDecidedWebhook"].sort(),
    );
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:"))).toEqual([]);
    expect(complaints).toEqual([]);
    await page.close();
  });
});
