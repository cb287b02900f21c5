/**
 * One whole flow through the app on the real emulator, for the metrics suites: an idempotent create with a
 * subject, a device and a callbackUrl (with a receiver token in its query), the device's attempt, the decision, the
 * webhook delivered, a verify create, a long-poll that ends, a 404 at a URL holding a secret, a delete. It returns
 * every identifier and secret it used, so a suite can look for them in the scrape.
 */
import { expect } from "vitest";
import { auth, CLIENTS, createSession, FACE_KEY, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";
import type { WebhookReceiver } from "../webhooks/webhook-receiver.js";

export const WEBHOOK_SECRET = `whsec_${Buffer.from("metrics-test-webhook-secret-01234").toString("base64")}`;
export const METRICS_TOKEN = "metrics-token-for-tests-0123456789";

export interface FlowTraces {
  sessionIds: string[];
  secrets: string[];
}

export async function fullFlow(stack: TestStack, receiver: WebhookReceiver): Promise<FlowTraces> {
  const { app, emulator } = stack;
  const subject = "subject-person-4711";
  const device = "device-correlation-0815";
  const idempotencyKey = "idem-key-metrics-0001";
  const created = await app.inject({
    method: "POST",
    url: "/v1/sessions",
    headers: { ...auth(), "idempotency-key": idempotencyKey },
    payload: { kind: "liveness", subject, deviceCorrelationId: device, callbackUrl: receiver.url() },
  });
  expect(created.statusCode).toBe(201);
  const session = created.json<{ id: string; authToken: string }>();
  const played = await emulatorDeviceAttempt(emulator.url, "liveness", session.authToken, { livenessDecision: "realface" });
  const completed = await app.inject({ method: "POST", url: `/v1/sessions/${session.id}/complete`, headers: auth(), payload: { clientDigest: played.body.digest } });
  expect(completed.json().decision.outcome).toBe("approved");
  // The dispatcher queues the delivery (an event listener); the next pass of the worker, after any pass under way,
  // sends it and records the result.
  await app.sessionEvents.drain();
  await app.webhooks.runDue();
  expect(receiver.received).toHaveLength(1);
  const events = await app.inject({ method: "GET", url: `/v1/sessions/${session.id}/events`, headers: auth() });
  expect(events.json().deliveries).toMatchObject([{ state: "delivered" }]);

  const verify = await createSession(app, { kind: "livenessWithVerify", verifyImage: makeTestJpeg().toString("base64") });
  expect(verify.statusCode).toBe(201);
  const verifyId = verify.json<{ id: string }>().id;
  // A long-poll that waits its second out (nothing settles it), and a read.
  expect((await app.inject({ method: "GET", url: `/v1/sessions/${verifyId}?waitSeconds=1`, headers: auth() })).statusCode).toBe(200);
  // A URL no route matches, holding what a careless caller might put in one.
  expect((await app.inject({ method: "GET", url: `/v1/nothing/${session.id}?token=url-query-secret-999`, headers: auth() })).statusCode).toBe(404);
  expect((await app.inject({ method: "DELETE", url: `/v1/sessions/${verifyId}`, headers: auth() })).statusCode).toBe(204);

  return {
    sessionIds: [session.id, verifyId],
    secrets: [
      session.authToken,
      verify.json<{ authToken: string }>().authToken,
      subject,
      device,
      idempotencyKey,
      CLIENTS.acme.key,
      CLIENTS.globex.key,
      FACE_KEY,
      WEBHOOK_SECRET,
      WEBHOOK_SECRET.slice("whsec_".length),
      METRICS_TOKEN,
      "receiver-query-secret-123",
      "url-query-secret-999",
      String(played.body.digest),
    ],
  };
}
