/**
 * Face calls per session, by the way the caller learns the outcome: long-poll (a loop of GET …?waitSeconds=20 with
 * the last ETag, until the decision settles), /complete (the app posts the digest once the device finishes) and
 * webhook only (a callbackUrl, nobody reads: the background watcher settles it). Counted at the emulator: only our
 * server's calls (creates, reads, deletes), never the device's own.
 *
 * Devices finish spread evenly over 2 to 60 s after create (2 to 6 s in a smoke run); each starts (Face: Running)
 * DEVICE_WORK_MS before it finishes, as a person takes a few seconds between opening the check and its result. The
 * three styles run at once, each on its own emulator and server, so the section takes about as long as the slowest
 * device plus the watcher's last read.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../src/app.js";
import { DEV_API_KEY, loadConfig } from "../src/config.js";
import { managementOperations } from "../src/emulator/emulator-operations.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/emulator-server.js";
import { createLogger } from "../src/logger.js";

export type ReadStyle = "long-poll" | "/complete" | "webhook only";
export const READ_STYLES: readonly ReadStyle[] = ["long-poll", "/complete", "webhook only"];

/** From the device starting (Face says Running) to its result. */
const DEVICE_WORK_MS = 3000;
const FACE = "/face/v1.2";
const FACE_KEY = "bench-face-key-0123456789abcdef";
const headers = { "x-api-key": DEV_API_KEY, "content-type": "application/json" };

interface Stack {
  app: FastifyInstance;
  url: string;
  emulator: RunningEmulator;
  receiver: HttpServer;
  receiverUrl: string;
}

async function startStack(smoke: boolean): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY });
  // Webhooks to a loopback receiver that answers 200 to everything.
  const receiver = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(200).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const base = loadConfig({
    FACE_MAX_QUEUE: "10000",
    RATE_LIMIT_PER_IP_PER_MINUTE: "1000000",
    CLIENT_POLICIES: JSON.stringify({ "*": { rateLimitPerMinute: 1_000_000, decision: { requireClientDigest: false } } }),
    WEBHOOK_SECRET: "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ==",
    WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
    // The watcher's defaults in a full run (first read 15 s after create, then 5 s doubling); a smoke run's devices
    // finish within 6 s, so its watcher starts sooner.
    ...(smoke && { SESSION_WATCH_FIRST_POLL_MS: "1000", SESSION_WATCH_INTERVAL_MS: "1000" }),
  });
  const guard = { ...base.face.guard, maxTps: 1_000_000, burst: 1_000_000 };
  const app = await buildApp({ ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY, guard } }, { logger: createLogger("silent") });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url, emulator, receiver, receiverUrl };
}

async function stopStack(stack: Stack): Promise<void> {
  await stack.app.close();
  await new Promise((resolve) => stack.receiver.close(resolve));
  await stack.emulator.close();
}

const serverCalls = (emulator: RunningEmulator) => managementOperations.reduce((n, op) => n + emulator.state.requestCount(op), 0);
const deletes = (emulator: RunningEmulator) => emulator.state.requestCount("deleteLivenessSession");

/** The device's call to Face; answers the digest of an attempt's result. */
async function device(stack: Stack, authToken: string, body: object): Promise<string | undefined> {
  const res = await fetch(`${stack.emulator.url}${FACE}/detectLiveness/singleModal`, {
    method: "POST",
    headers: { authorization: `Bearer ${authToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return ((await res.json()) as { digest?: string }).digest;
}

interface View {
  decision: { decidedAt: string | null };
}

/** The caller's side of one session, for one style; resolves once the decision settled. */
async function follow(stack: Stack, style: ReadStyle, finishMs: number): Promise<void> {
  const body = { kind: "liveness", deviceCorrelationId: "bench", ...(style === "webhook only" && { callbackUrl: stack.receiverUrl }) };
  const res = await fetch(`${stack.url}/v1/sessions`, { method: "POST", headers, body: JSON.stringify(body) });
  const { id, authToken } = (await res.json()) as { id: string; authToken: string };
  const played = (async () => {
    await sleep(Math.max(500, finishMs - DEVICE_WORK_MS));
    await device(stack, authToken, { start: true });
    await sleep(Math.min(DEVICE_WORK_MS, finishMs - 500));
    return device(stack, authToken, { livenessDecision: "realface" });
  })();
  if (style === "/complete") {
    const clientDigest = await played;
    await fetch(`${stack.url}/v1/sessions/${id}/complete`, { method: "POST", headers, body: JSON.stringify({ clientDigest }) });
    return;
  }
  if (style === "long-poll") {
    let etag: string | undefined;
    for (;;) {
      const read = await fetch(`${stack.url}/v1/sessions/${id}?waitSeconds=20`, { headers: { ...headers, ...(etag && { "if-none-match": etag }) } });
      if (read.status === 304) continue;
      if (read.status !== 200) throw new Error(`long-poll answered ${read.status}`);
      etag = read.headers.get("etag") ?? undefined;
      if (((await read.json()) as View).decision.decidedAt !== null) break;
    }
    await played;
    return;
  }
  await played;
  // Nobody reads: wait for the watcher to settle it (which is what sends the webhook).
  for (;;) {
    const read = await fetch(`${stack.url}/v1/sessions?limit=100`, { headers });
    const items = ((await read.json()) as { items: Array<{ id: string; decidedAt: string | null }> }).items;
    if (items.find((item) => item.id === id)?.decidedAt) return;
    await sleep(250);
  }
}

/** Face calls per session for each style, and their plain mean (the mix). */
export async function faceCallsPerSession(smoke: boolean): Promise<Record<ReadStyle | "mix", number>> {
  const sessions = smoke ? 3 : 20;
  const [fromMs, toMs] = smoke ? [2000, 6000] : [2000, 60_000];
  const finishTimes = Array.from({ length: sessions }, (_, i) => fromMs + Math.round(((toMs - fromMs) * i) / Math.max(1, sessions - 1)));
  const perStyle = await Promise.all(
    READ_STYLES.map(async (style) => {
      const stack = await startStack(smoke);
      try {
        await Promise.all(finishTimes.map((finishMs) => follow(stack, style, finishMs)));
        // The deletion after the decision runs in the background: wait for every one of them.
        const deadline = Date.now() + 30_000;
        while (deletes(stack.emulator) < sessions && Date.now() < deadline) await sleep(100);
        return serverCalls(stack.emulator) / sessions;
      } finally {
        await stopStack(stack);
      }
    }),
  );
  const [longPoll, complete, webhook] = perStyle as [number, number, number];
  return { "long-poll": longPoll, "/complete": complete, "webhook only": webhook, mix: (longPoll + complete + webhook) / 3 };
}
