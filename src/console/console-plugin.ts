/**
 * /console: the browser console's files, its settings, and (emulator mode only) the device simulator's route.
 * Registered only when CONSOLE is on. The rest of the API keeps its "nothing renders here" CSP; this scope alone
 * swaps it for one that lets the page load its own script, style and images, and nothing from anywhere else.
 */
import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { PolicyBook } from "../lib/caller-policy.js";
import type { ApiKeyRing } from "../credentials/api-key-ring.js";
import { AppError } from "../errors.js";
import callerAuth from "../plugins/caller-auth.js";
import { browserPageHeaders } from "../plugins/security.js";
import { loadConsoleAssets, type ConsoleAsset } from "./console-assets.js";
import { consoleDeviceRoutes } from "./console-device-routes.js";

/**
 * 'self' only. img-src allows blob: for the session image and the picked verify image, which the page fetches
 * with the API key and shows from memory; connect-src 'self' keeps the API key from being sent anywhere else.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface ConsoleOptions {
  /** Where the built files are (dist/console-assets). */
  assetsDir: string;
  /** Emulator mode: the embedded emulator's origin; the device simulator forwards to it. Unset: no simulator. */
  emulatorUrl?: string | undefined;
  apiVersion: string;
  /** Prefilled on the sign-in form; only ever the public development key, in emulator mode. */
  devApiKey?: string | undefined;
  keyRing: ApiKeyRing;
  policies: PolicyBook;
}

const settingsSchema = z.object({ deviceSimulator: z.boolean(), devApiKey: z.string().optional() });

function send(reply: FastifyReply, asset: ConsoleAsset) {
  reply.type(asset.type);
  // The page must re-read index.html to pick up a new build; the fingerprinted files never change.
  reply.header("cache-control", asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return reply.send(asset.body);
}

export const consolePlugin: FastifyPluginAsyncZod<ConsoleOptions> = async (app, options) => {
  const assets = await loadConsoleAssets(options.assetsDir);
  if (!assets) app.log.warn({ assetsDir: options.assetsDir }, "CONSOLE is on but the console is not built; /console answers 503 until npm run build");

  // A page a browser renders: helmet's full set, which the API's JSON answers go without (plugins/security.ts).
  app.addHook("onRequest", browserPageHeaders());
  app.addHook("onSend", async (_request, reply) => {
    reply.header("content-security-policy", CONSOLE_CSP);
  });

  const page = async (_request: unknown, reply: FastifyReply) => {
    const index = assets?.get("index.html");
    if (!index) throw new AppError("LSO_ERR_CONSOLE_NOT_BUILT");
    return send(reply, index);
  };
  // Under the /console prefix, "/" answers both /console and /console/.
  app.get("/", { schema: { hide: true } }, page);
  app.get("/*", { schema: { hide: true } }, async (request, reply) => {
    if (!assets) throw new AppError("LSO_ERR_CONSOLE_NOT_BUILT");
    const path = (request.params as { "*": string })["*"];
    const asset = path === "index.html" ? undefined : assets.get(path);
    if (!asset) throw new AppError("LSO_ERR_ROUTE_NOT_FOUND");
    return send(reply, asset);
  });

  app.get("/api/settings", { schema: { hide: true, response: { 200: settingsSchema } } }, async () => ({
    deviceSimulator: options.emulatorUrl !== undefined,
    ...(options.devApiKey !== undefined && { devApiKey: options.devApiKey }),
  }));

  const { emulatorUrl } = options;
  if (emulatorUrl !== undefined) {
    await app.register(
      async (api) => {
        await api.register(callerAuth, { keyRing: options.keyRing, policies: options.policies });
        await api.register(consoleDeviceRoutes, { emulatorUrl, apiVersion: options.apiVersion });
      },
      { prefix: "/api" },
    );
  }
};
