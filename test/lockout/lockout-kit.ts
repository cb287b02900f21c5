/** Plays failed liveness checks through the real stack: create, the device's spoof (or mismatch), then the read that observes it. */
import { expect } from "vitest";
import { auth, createSession, type CLIENTS, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

export interface Target {
  subject?: string;
  deviceCorrelationId?: string;
}

type Client = keyof typeof CLIENTS;

const verifyImage = makeTestJpeg({ minBytes: 4096 }).toString("base64");

export const faceCreates = (stack: TestStack) =>
  stack.emulator.state.requestCount("createLivenessSession") + stack.emulator.state.requestCount("createLivenessWithVerifySession");

export const readSession = (stack: TestStack, id: string, client: Client = "acme") =>
  stack.app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth(client) });

/** A session whose latest attempt ends as `outcome`, read once through GET so the service observes it; returns its id. */
export async function playOutcome(stack: TestStack, target: Target, outcome: "spoof" | "mismatch" | "real" | "error" = "spoof", client: Client = "acme"): Promise<string> {
  const verify = outcome === "mismatch";
  const res = await createSession(stack.app, verify ? { kind: "livenessWithVerify", verifyImage, ...target } : { kind: "liveness", ...target }, client);
  expect(res.statusCode, res.body).toBe(201);
  const { id, authToken } = res.json();
  const attempt =
    outcome === "spoof"
      ? { livenessDecision: "spoofface" }
      : outcome === "mismatch"
        ? { livenessDecision: "realface", matchConfidence: 0.1 }
        : outcome === "real"
          ? { livenessDecision: "realface" }
          : { errorCode: "FaceWithMaskDetected" };
  await emulatorDeviceAttempt(stack.emulator.url, verify ? "livenessWithVerify" : "liveness", authToken, attempt);
  expect((await readSession(stack, id, client)).statusCode).toBe(200);
  return id;
}

export async function failTimes(stack: TestStack, n: number, target: Target, client: Client = "acme"): Promise<void> {
  for (let i = 0; i < n; i += 1) await playOutcome(stack, target, "spoof", client);
}

export const tryCreate = (stack: TestStack, target: Target, client: Client = "acme") => createSession(stack.app, { kind: "liveness", ...target }, client);

let counter = 0;
/** A subject or device id no other test uses, so tests sharing a stack never share a budget. */
export const unique = (prefix: string) => `${prefix}-${(counter += 1)}`;
