/**
 * The console in a real browser (Debian's Chromium, headless) against the real server, emulator and a webhook
 * receiver, all on ephemeral ports. Each screen is also checked with axe-core (no serious or critical violation)
 * and under the console's own CSP (any violation or page error fails the test). Screenshots of the main screens go
 * to test-results/console/ for people to look at.
 */
import { mkdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { DEV_API_KEY } from "../../src/config.js";
import { describeBrowser, launchChromium, seriousA11yViolations, type RunningBrowser } from "../helpers/browser.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import { buildConsole, startConsoleStack, type ConsoleStack } from "./console-kit.js";

const SHOTS = new URL("../../test-results/console/", import.meta.url).pathname;

describeBrowser("the console in Chromium", () => {
  let stack: ConsoleStack;
  let browser: RunningBrowser;
  let built: { dir: string; remove: () => Promise<void> };
  let page: Page;
  /** Console errors, CSP reports and uncaught exceptions of the current page: every test ends with none. */
  let problems: string[];

  beforeAll(async () => {
    built = await buildConsole();
    stack = await startConsoleStack(built.dir);
    browser = await launchChromium();
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await built?.remove();
  });

  const openPage = async (width = 1280) => {
    page = await browser.context.newPage();
    await page.setViewportSize({ width, height: 900 });
    problems = [];
    page.on("console", (m) => {
      // A 4xx the console asked for and shows (a bad key, a deleted session) is logged by Chromium as a failed load.
      if (m.type() === "error" && !/the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${stack.origin}/console`);
    return page;
  };
  afterEach(async () => {
    await page?.close();
    expect(problems).toEqual([]);
  });

  const expectAccessible = async (screen: string) => {
    expect(await seriousA11yViolations(page), `axe on ${screen}`).toEqual([]);
  };

  /** Signs in with the key the form holds (the development key, prefilled in emulator mode), by keyboard. */
  const signIn = async () => {
    await expect.poll(() => page.getByLabel("API key").inputValue()).toBe(DEV_API_KEY);
    await page.getByLabel("API key").press("Enter");
    await page.getByRole("heading", { level: 1, name: "Sessions" }).waitFor();
  };

  const createFromForm = async (options: { kind: "Liveness" | "Liveness with verify"; subject: string; callback?: string; sessionImage?: boolean }) => {
    await page.getByRole("link", { name: "New session" }).click();
    await page.getByRole("heading", { level: 1, name: "New session" }).waitFor();
    await page.getByLabel(options.kind, { exact: true }).check();
    if (options.kind === "Liveness with verify") {
      await page.getByLabel(/Reference image/).setInputFiles({ name: "reference.jpg", mimeType: "image/jpeg", buffer: makeTestJpeg() });
    }
    await page.getByLabel(/^Subject/).fill(options.subject);
    if (options.callback) await page.getByLabel(/Webhook callback URL/).fill(options.callback);
    if (options.sessionImage) await page.getByLabel("Keep the session image").check();
    await page.getByRole("button", { name: "Create session" }).click();
    await page.getByRole("heading", { level: 1, name: "Session created" }).waitFor();
    const token = await page.getByLabel(/^Auth token/).inputValue();
    const id = (await page.locator("code.mono").first().textContent())!;
    return { id, token };
  };

  const outcome = () => page.locator("#h-decision + div .badge");

  it("when a verify session is created with an uploaded image and the device shows a real face, then it is approved, its webhook delivered, and delete removes it", async () => {
    await openPage();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await expectAccessible("sign-in");
    await page.screenshot({ path: `${SHOTS}sign-in.png` });
    await signIn();

    const { id, token } = await createFromForm({ kind: "Liveness with verify", subject: "alice-verify", callback: stack.receiver.url(), sessionImage: true });
    expect(token.length).toBeGreaterThan(20);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The auth token is shown once.");
    expect(stack.emulator.state.requestCount("createLivenessWithVerifySession")).toBe(1);
    await expectAccessible("session created");
    await page.screenshot({ path: `${SHOTS}created.png` });

    await page.getByRole("link", { name: "Open the session" }).click();
    await page.getByRole("heading", { level: 1, name: `Session ${id}` }).waitFor();
    await expect.poll(() => outcome().textContent()).toBe("Pending");
    await page.getByRole("button", { name: "Real face" }).click();
    const digest = (await page.getByTestId("device-digest").textContent())!;
    expect(digest).toMatch(/^[0-9A-F]{64}$/);
    await page.getByRole("button", { name: "Send it with /complete" }).click();
    await expect.poll(() => outcome().textContent()).toBe("Approved");
    await expect.poll(() => page.locator("#h-decision + div").textContent()).toContain("DIGEST_MATCH");
    // The session page follows the webhook's delivery by itself: no reload, no refresh button.
    await page.locator(".delivery .badge", { hasText: "Delivered" }).waitFor();
    expect(stack.receiver.received.map((r) => (r.json.data as { sessionId: string }).sessionId)).toEqual([id]);
    await page.getByRole("img", { name: /session image/ }).waitFor();
    await page.locator(".timeline li", { hasText: "Decision settled" }).waitFor();
    await expectAccessible("session page");
    await page.screenshot({ path: `${SHOTS}session.png`, fullPage: true });

    await page.getByRole("button", { name: "Delete session" }).click();
    await page.getByRole("button", { name: "Yes, delete it" }).click();
    await page.getByRole("heading", { level: 1, name: "Sessions" }).waitFor();
    const after = await fetch(`${stack.origin}/v1/sessions/${id}`, { headers: { "x-api-key": DEV_API_KEY } });
    expect(after.status).toBe(404);
    // The whole flow, logged at trace level: neither the token the console showed nor the key it signed in with.
    expect(stack.logs.text).not.toContain(token);
    expect(stack.logs.text).not.toContain(DEV_API_KEY);
  });

  it("when the device shows a spoof, then the session page shows declined with SPOOF_DETECTED", async () => {
    await openPage();
    await signIn();
    await createFromForm({ kind: "Liveness", subject: "mallory-spoof" });
    await page.getByRole("link", { name: "Open the session" }).click();
    await page.getByRole("button", { name: "Spoof" }).click();
    await expect.poll(() => outcome().textContent()).toBe("Declined");
    await expect.poll(() => page.locator("#h-decision + div").textContent()).toContain("SPOOF_DETECTED");
  });

  it("when the app sends a wrong digest, then the session is declined with DIGEST_MISMATCH", async () => {
    await openPage();
    await signIn();
    await createFromForm({ kind: "Liveness", subject: "eve-digest" });
    await page.getByRole("link", { name: "Open the session" }).click();
    await page.getByRole("button", { name: "Real face" }).click();
    await expect.poll(() => outcome().textContent()).toBe("Pending");
    await page.getByRole("button", { name: "Send a wrong digest" }).click();
    await expect.poll(() => outcome().textContent()).toBe("Declined");
    await expect.poll(() => page.locator("#h-decision + div").textContent()).toContain("DIGEST_MISMATCH");
  });

  it("when an attempt fails on the device, then the decision says retry with advice for the end user", async () => {
    await openPage();
    await signIn();
    await createFromForm({ kind: "Liveness", subject: "bob-mask" });
    await page.getByRole("link", { name: "Open the session" }).click();
    await page.getByLabel("Attempt error").selectOption("FaceWithMaskDetected");
    await page.getByRole("button", { name: "Fail the attempt" }).click();
    await expect.poll(() => outcome().textContent()).toBe("Retry");
    await expect.poll(() => page.locator(".advice").first().textContent()).toContain("Remove your mask");
  });

  it("when the list is filtered by subject, then only that subject's sessions are shown and the filter stays in the address", async () => {
    const headers = { "x-api-key": DEV_API_KEY, "content-type": "application/json" };
    for (const subject of ["carol-list", "carol-list", "dave-list"]) {
      const res = await fetch(`${stack.origin}/v1/sessions`, { method: "POST", headers, body: JSON.stringify({ kind: "liveness", subject }) });
      expect(res.status).toBe(201);
    }
    await openPage();
    await signIn();
    await page.getByLabel("Subject").fill("carol-list");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(2);
    expect(await page.locator('tbody td[data-label="Subject"]').allTextContents()).toEqual(["carol-list", "carol-list"]);
    expect(new URL(page.url()).hash).toContain("subject=carol-list");
    await expectAccessible("filtered list");
    await page.screenshot({ path: `${SHOTS}list.png` });
  });

  it("when the API key is wrong, then sign-in shows the envelope's code and message", async () => {
    await openPage();
    await page.getByLabel("API key").fill("not-a-valid-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("LSO_ERR_UNAUTHORIZED");
    expect(await alert.textContent()).toContain("A valid API key is required in the x-api-key header.");
    // A key that failed to sign in is not kept.
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    await expectAccessible("sign-in error");
  });

  it("when the screen is narrow, then the session list and session page fit without sideways scrolling", async () => {
    await openPage(360);
    await signIn();
    const { id } = await createFromForm({ kind: "Liveness", subject: "narrow-screen" });
    await page.goto(`${stack.origin}/console#/sessions/${id}`);
    await page.getByRole("heading", { level: 1, name: `Session ${id}` }).waitFor();
    await page.getByRole("button", { name: "Uncertain" }).click();
    await expect.poll(() => outcome().textContent()).toBe("Retry");
    const fits = await page.evaluate(() => {
      const { document, innerWidth } = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
      return document.documentElement.scrollWidth <= innerWidth;
    });
    expect(fits).toBe(true);
    await expectAccessible("narrow session page");
    await page.screenshot({ path: `${SHOTS}session-narrow.png`, fullPage: true });
  });
});
