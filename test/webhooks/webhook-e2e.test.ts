/**
 * The whole path with no shortcut: create with a callbackUrl → the device (emulator) finishes → the caller completes
 * with the device's digest → the session decides → the worker delivers → cleanup deletes the session at Face.
 */
import { afterEach, describe, expect, it } from "vitest";
import { auth } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { eventsOf, SECRET_NEW, startWebhookStack, type WebhookStack } from "./webhook-kit.js";
import { verifyWithStandardWebhooks } from "./webhook-receiver.js";

let stack: WebhookStack;
afterEach(async () => stack.close());

const complete = (id: string, clientDigest: string) =>
  stack.app.inject({ method: "POST", url: `/v1/sessions/${id}/complete`, headers: auth(), payload: { clientDigest } });

/** Background work (the Face delete after delivery) runs on real timers: wait for it, boundedly. */
async function eventually(check: () => boolean, attempts = 50): Promise<void> {
  for (let i = 0; i < attempts && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(check()).toBe(true);
}

describe("webhook end to end", () => {
  it("when the device shows a real face and the caller completes, then the approved webhook arrives and the session is deleted at Face", async () => {
    stack = await startWebhookStack({ SESSION_WATCH_INTERVAL_MS: "0" });
    const session = await stack.createWithCallback();
    const device = await emulatorDeviceAttempt(stack.emulator.url, "liveness", session.authToken, { livenessDecision: "realface" });
    expect((await complete(session.id, device.body.digest!)).statusCode).toBe(200);
    await stack.advance(0);

    expect(stack.receiver.received).toHaveLength(1);
    const [hook] = stack.receiver.received;
    expect(verifyWithStandardWebhooks(hook!, [SECRET_NEW])).toBe("verified");
    expect(hook!.json).toMatchObject({ type: "session.decided", data: { sessionId: session.id, kind: "liveness", subject: "user-7", decision: { outcome: "approved" } } });
    expect(hook!.body).not.toContain(device.body.digest!);
    expect((await eventsOf(stack, session.id)).json().deliveries[0].state).toBe("delivered");
    await eventually(() => stack.seen.some((e) => e.type === "deletedAtFace" && e.sessionId === session.id));
    expect(stack.emulator.state.findSession(session.id, "liveness", Date.now())).toBeUndefined();
  });

  it("when the device shows a spoof, then the declined webhook arrives with its reason codes", async () => {
    stack = await startWebhookStack({ SESSION_WATCH_INTERVAL_MS: "0" });
    const session = await stack.createWithCallback();
    const device = await emulatorDeviceAttempt(stack.emulator.url, "liveness", session.authToken, { livenessDecision: "spoofface" });
    expect((await complete(session.id, device.body.digest!)).statusCode).toBe(200);
    await stack.advance(0);
    const decision = (stack.receiver.received[0]?.json.data as { decision: { outcome: string; reasons: Array<{ code: string }> } }).decision;
    expect(decision.outcome).toBe("declined");
    expect(decision.reasons.length).toBeGreaterThan(0);
  });
});
