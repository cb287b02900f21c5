/**
 * The real stack for decision, long-poll and cleanup tests: buildApp over HTTP to the emulator, a ManualClock the
 * test drives (optionally shared with the emulator, so Face's own token expiry moves with it), every session event
 * recorded through `app.sessionEvents`, and helpers that play the device and read the outcome.
 */
import type { FastifyInstance } from "fastify";
import { expect, vi } from "vitest";
import { buildApp, type AppOverrides } from "../../src/app.js";
import { loadConfig, type EnvInput } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/emulator-server.js";
import type { EmulatorRequest } from "../../src/emulator/emulator-state.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { SessionEvent } from "../../src/state/session-events.js";
import type { MemorySessionStore } from "../../src/state/memory/session-store-memory.js";
import { createMemoryState, type MemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";
import { apiKeysEnv, auth, FACE_KEY, type CLIENTS } from "../helpers/app-harness.js";
import { CapturedLogs } from "../helpers/captured-logs.js";
import { createLogger } from "../../src/logger.js";
import { emulatorDeviceAttempt, type DeviceAttemptRequest } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

type Client = keyof typeof CLIENTS;

/** acme: the strict defaults. globex: no client digest required, raw scores shown. */
export const POLICIES = JSON.stringify({ globex: { decision: { requireClientDigest: false, exposeScores: true } } });

export interface OutcomeStack {
  app: FastifyInstance;
  emulator: RunningEmulator;
  logs: CapturedLogs;
  clock: ManualClock;
  /** The memory state behind the app (unwrapped, when the test wrapped it). */
  state: MemoryState;
  store: MemorySessionStore;
  events: SessionEvent[];
  close(): Promise<void>;
}

export interface StackOptions {
  /** The emulator runs on the test's clock too: Face forgets a session when the test moves past its token. */
  sharedClock?: boolean;
  overrides?: AppOverrides;
  /** What the app gets instead of the memory state itself, e.g. the same state with a store wrapped. */
  wrapState?: (memory: MemoryState) => State;
}

export async function startOutcomeStack(env: EnvInput = {}, options: StackOptions = {}): Promise<OutcomeStack> {
  const clock = new ManualClock(Date.now());
  const emulator = await startEmulator({ port: 0, apiKey: FACE_KEY, ...(options.sharedClock && { clock }) });
  const logs = new CapturedLogs();
  const base = loadConfig({
    API_KEYS: apiKeysEnv,
    LOG_LEVEL: "debug",
    CLIENT_POLICIES: POLICIES,
    // Many Face calls per test: S0's 10 per second would only slow the run. No background polls unless asked for.
    FACE_MAX_TPS: "1000",
    SESSION_WATCH_INTERVAL_MS: "0",
    ...env,
  });
  const config = { ...base, face: { ...base.face, endpoint: emulator.url, apiKey: FACE_KEY } };
  const state = createMemoryState(clock);
  const store = state.sessions;
  const app = await buildApp(config, {
    logger: createLogger("debug", logs.stream),
    clock,
    state: options.wrapState ? options.wrapState(state) : state,
    ...options.overrides,
  });
  const events: SessionEvent[] = [];
  app.sessionEvents.subscribe((event) => {
    events.push(event);
  });
  await app.ready();
  return {
    app,
    emulator,
    logs,
    clock,
    state,
    store,
    events,
    close: async () => {
      await app.close();
      await emulator.close();
    },
  };
}

export const verifyImage = makeTestJpeg({ minBytes: 4096 });

export interface Created {
  id: string;
  authToken: string;
  kind: "liveness" | "livenessWithVerify";
}

let devices = 0;

export async function create(stack: OutcomeStack, body: Record<string, unknown> = {}, client: Client = "acme"): Promise<Created> {
  // A device id per session: declines count against a device's attempt budget, and tests must not lock each other out.
  const payload: Record<string, unknown> = { kind: "liveness", deviceCorrelationId: `device-${(devices += 1)}`, ...body };
  if (payload.kind === "livenessWithVerify" && payload.verifyImage === undefined) payload.verifyImage = verifyImage.toString("base64");
  const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: auth(client), payload });
  expect(res.statusCode, res.body).toBe(201);
  const json = res.json() as { id: string; authToken: string };
  return { id: json.id, authToken: json.authToken, kind: payload.kind as Created["kind"] };
}

/** Plays the device; returns the digest Face gave it, when the attempt produced a result. */
export async function device(stack: OutcomeStack, session: Created, body: DeviceAttemptRequest): Promise<string | undefined> {
  const res = await emulatorDeviceAttempt(stack.emulator.url, session.kind, session.authToken, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.digest;
}

export function read(stack: OutcomeStack, id: string, query = "", client: Client = "acme", headers: Record<string, string> = {}) {
  return stack.app.inject({ method: "GET", url: `/v1/sessions/${id}${query}`, headers: { ...auth(client), ...headers } });
}

export function complete(stack: OutcomeStack, id: string, clientDigest: string, client: Client = "acme") {
  return stack.app.inject({ method: "POST", url: `/v1/sessions/${id}/complete`, headers: auth(client), payload: { clientDigest } });
}

export const eventsOf = (stack: OutcomeStack, id: string, type?: SessionEvent["type"]) =>
  stack.events.filter((e) => e.sessionId === id && (type === undefined || e.type === type));

export const faceHas = (stack: OutcomeStack, session: Created) => stack.emulator.state.findSession(session.id, session.kind, Date.now()) !== undefined;

/** Webhooks on, to loopback receivers: what a session with a callbackUrl needs (and what makes the watcher follow it). */
export const WEBHOOKS_ON = { WEBHOOK_SECRET: "whsec_dGVzdC1zZXNzaW9uLXdlYmhvb2sta2V5LTAxMjM0NTY3", WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } as const;

/**
 * Every request Face (the emulator) received for one session, in arrival order: its create (found by the Face
 * request id the `created` event recorded) and every read and delete naming it.
 */
export function faceRequestsFor(stack: OutcomeStack, sessionId: string): EmulatorRequest[] {
  const createdBy = eventsOf(stack, sessionId, "created")[0]?.faceRequestId;
  return stack.emulator.state.requestLog().filter((r) => r.sessionId === sessionId || (createdBy !== undefined && r.requestId === createdBy));
}

export const faceReads = (stack: OutcomeStack) =>
  stack.emulator.state.requestCount("getLivenessSession") + stack.emulator.state.requestCount("getLivenessWithVerifySession");

/** Background work (deletion at Face, the background loop) runs on real timers: wait for its effect. */
export const eventually = (check: () => void | Promise<void>, timeout = 5000) => vi.waitFor(check, { timeout, interval: 20 });
