/** A whole session run at the most verbose log level leaves no secret, token or image byte in logs or error bodies. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, CLIENTS, createSession, FACE_KEY, startStack, type TestStack } from "../helpers/app-harness.js";
import { emulatorDeviceAttempt, rawMultipart } from "../helpers/emulator-client.js";
import { makeTestJpeg } from "../helpers/emulator-images.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ LOG_LEVEL: "trace" });
});
afterAll(async () => stack.close());

/** Distinctive slices of a binary payload as it could appear in a log: base64, hex, latin1. */
function traces(bytes: Buffer): string[] {
  const middle = bytes.subarray(bytes.length / 2, bytes.length / 2 + 48);
  return [middle.toString("base64").slice(4, 40), middle.toString("hex"), bytes.toString("base64").slice(0, 60)];
}

describe("secrets stay out of logs and error bodies", () => {
  it("when a create → device → result → image → delete run happens for both kinds, then no secret reaches the logs", async () => {
    const image = makeTestJpeg({ minBytes: 8192 });
    const secrets: string[] = [FACE_KEY, CLIENTS.acme.key, CLIENTS.globex.key, ...traces(image)];
    const errorBodies: string[] = [];

    const liveness = (await createSession(stack.app, { kind: "liveness", deviceCorrelationId: "d", enableSessionImage: true })).json();
    const verifyJson = (await createSession(stack.app, { kind: "livenessWithVerify", deviceCorrelationId: "d", verifyImage: image.toString("base64") })).json();
    const form = rawMultipart([{ name: "kind", value: "livenessWithVerify" }, { name: "verifyImage", value: image, filename: "me.jpg" }]);
    const verifyForm = (
      await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "content-type": form.contentType }, payload: form.body })
    ).json();

    for (const [session, kind] of [[liveness, "liveness"], [verifyJson, "livenessWithVerify"], [verifyForm, "livenessWithVerify"]] as const) {
      expect(session.authToken).toBeTruthy();
      secrets.push(session.authToken);
      await emulatorDeviceAttempt(stack.emulator.url, kind, session.authToken, { livenessDecision: "realface" });
      expect((await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(200);
    }
    const sessionImage = await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}/image`, headers: auth() });
    expect(sessionImage.statusCode).toBe(200);
    secrets.push(...traces(sessionImage.rawPayload));

    // Error paths that see a secret: a wrong key, another client, a bad image.
    errorBodies.push((await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}`, headers: { "x-api-key": `${CLIENTS.acme.key}x` } })).body);
    errorBodies.push((await stack.app.inject({ method: "GET", url: `/v1/sessions/${liveness.id}`, headers: auth("globex") })).body);
    errorBodies.push((await createSession(stack.app, { kind: "livenessWithVerify", verifyImage: image.subarray(0, 900).toString("base64") })).body);

    for (const session of [liveness, verifyJson, verifyForm]) {
      expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(204);
    }

    const logs = stack.logs.text;
    expect(stack.logs.lines.length).toBeGreaterThan(30);
    for (const secret of secrets) {
      expect(logs, `a secret of ${secret.length} chars is in the logs`).not.toContain(secret);
      for (const body of errorBodies) expect(body).not.toContain(secret);
    }
    expect(logs).not.toContain(`${CLIENTS.acme.key}x`);
  });
});
