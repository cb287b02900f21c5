/**
 * Cleanup after the decision: a session is deleted at Face once its settled decision reached the
 * caller, and not before; its outcome keeps answering from the snapshot; an opted-in session image is kept here for
 * SESSION_IMAGE_RETENTION_SECONDS and then deleted; a failed Face deletion is retried by the background loop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, FACE_KEY } from "../helpers/app-harness.js";
import { faceFetch, keyHeaders, type SessionBody } from "../helpers/emulator-client.js";
import { complete, create, device, eventsOf, eventually, faceHas, faceReads, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

let stack: OutcomeStack;
beforeAll(async () => {
  stack = await startOutcomeStack({ SESSION_IMAGE_RETENTION_SECONDS: "60", SESSION_SWEEP_INTERVAL_MS: "100" });
});
afterAll(async () => stack.close());

const image = (s: OutcomeStack, id: string) => s.app.inject({ method: "GET", url: `/v1/sessions/${id}/image`, headers: auth() });
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function imageAtFace(s: OutcomeStack, id: string): Promise<Buffer> {
  const session = await faceFetch<SessionBody>(s.emulator.url, `/detectLiveness-sessions/${id}`, { headers: keyHeaders(FACE_KEY) });
  const imageId = session.body.results.attempts[0]!.result!.sessionImageId!;
  return Buffer.from(await (await fetch(`${s.emulator.url}/face/v1.2/sessionImages/${imageId}`, { headers: keyHeaders(FACE_KEY) })).arrayBuffer());
}

describe("deletion at Face after the decision", () => {
  it("when the outcome is pending, then the session stays at Face; once the settled decision is read, it is deleted there", async () => {
    const session = await create(stack);
    const digest = (await device(stack, session, { livenessDecision: "realface" }))!;
    expect((await read(stack, session.id)).json().decision.outcome).toBe("pending");
    await settle();
    expect(faceHas(stack, session)).toBe(true);

    expect((await complete(stack, session.id, digest)).json().decision.outcome).toBe("approved");
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    // Face forgets the session before it answers the delete; the event follows once the answer is back.
    await eventually(() => expect(eventsOf(stack, session.id, "deletedAtFace")).toMatchObject([{ actor: "acme", faceRequestId: expect.any(String) }]));

    // The record and its snapshot outlive the Face session, and GET does not ask Face again.
    const before = faceReads(stack);
    const view = (await read(stack, session.id)).json();
    expect(view).toMatchObject({ status: "succeeded", livenessDecision: "realface", digest, decision: { outcome: "approved" } });
    expect(faceReads(stack)).toBe(before);
  });
});

describe("session images", () => {
  it("when a client kept the session image, then it is served after the Face deletion, and deleted when its retention ends", async () => {
    const session = await create(stack, { enableSessionImage: true });
    await device(stack, session, { livenessDecision: "spoofface" });
    const original = await imageAtFace(stack, session.id);

    await read(stack, session.id);
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    expect(eventsOf(stack, session.id, "imageRetained")).toMatchObject([{ retainUntil: stack.clock.now() + 60_000, faceRequestId: expect.any(String) }]);
    const served = await image(stack, session.id);
    expect(served.statusCode).toBe(200);
    expect(served.headers["content-type"]).toBe("image/png");
    expect(served.rawPayload.equals(original)).toBe(true);
    expect(stack.logs.text).not.toContain(original.subarray(0, 64).toString("base64"));

    stack.clock.advance(60_001);
    expect((await image(stack, session.id)).json().error.code).toBe("LSO_ERR_SESSION_IMAGE_NOT_FOUND");
    await eventually(() => expect(eventsOf(stack, session.id, "imageDeleted")).toMatchObject([{ actor: "system" }]));
  });

  it("when the retention is 0, then no image outlives the Face session", async () => {
    const own = await startOutcomeStack({ SESSION_IMAGE_RETENTION_SECONDS: "0" });
    try {
      const session = await create(own, { enableSessionImage: true });
      await device(own, session, { livenessDecision: "spoofface" });
      await read(own, session.id);
      await eventually(() => expect(faceHas(own, session)).toBe(false));
      expect((await image(own, session.id)).statusCode).toBe(404);
      expect(eventsOf(own, session.id, "imageRetained")).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it("when the caller deletes the session, then the kept image goes too", async () => {
    const session = await create(stack, { enableSessionImage: true });
    await device(stack, session, { livenessDecision: "spoofface" });
    await read(stack, session.id);
    await eventually(() => expect(eventsOf(stack, session.id, "imageRetained")).toHaveLength(1));
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(204);
    expect(eventsOf(stack, session.id, "imageDeleted")).toMatchObject([{ actor: "acme" }]);
    expect((await image(stack, session.id)).statusCode).toBe(404);
  });

  it("when the image store is full (SESSION_IMAGE_MAX_BYTES), then a new image is not kept, the session still goes from Face, and its GET answers 410 LSO_ERR_SESSION_IMAGE_NOT_RETAINED", async () => {
    const maxBytes = 1024 * 1024;
    const own = await startOutcomeStack({ SESSION_IMAGE_RETENTION_SECONDS: "60", SESSION_IMAGE_MAX_BYTES: String(maxBytes) });
    try {
      // Another session's image fills the store almost to the brim, and stays: kept images are never evicted.
      const filler = new Uint8Array(maxBytes - 100).fill(7);
      expect(await own.state.images.put({ sessionId: "filler", clientId: "globex", bytes: filler, retainUntil: own.clock.now() + 60_000 }, maxBytes)).toBe(true);
      const session = await create(own, { enableSessionImage: true });
      await device(own, session, { livenessDecision: "spoofface" });
      const original = await imageAtFace(own, session.id);
      await read(own, session.id);
      await eventually(() => expect(faceHas(own, session)).toBe(false));
      const refused = await image(own, session.id);
      expect(refused.statusCode).toBe(410);
      expect(refused.json()).toMatchObject({ error: { code: "LSO_ERR_SESSION_IMAGE_NOT_RETAINED", requestId: expect.any(String) } });
      expect(eventsOf(own, session.id, "imageRetained")).toEqual([]);
      expect(own.logs.text).toContain("the image store is full; the session image is not kept");
      expect(own.logs.text).not.toContain(original.subarray(0, 64).toString("base64"));
      expect((await own.state.images.get("filler"))?.bytes.length).toBe(filler.length);

      // Room again: the next session's image is kept and served.
      await own.state.images.delete("filler");
      const next = await create(own, { enableSessionImage: true });
      await device(own, next, { livenessDecision: "spoofface" });
      await read(own, next.id);
      await eventually(() => expect(eventsOf(own, next.id, "imageRetained")).toHaveLength(1));
      expect((await image(own, next.id)).statusCode).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe("options and failures", () => {
  it("when DELETE_AFTER_DECISION is false, then a read decision leaves the session at Face", async () => {
    const own = await startOutcomeStack({ DELETE_AFTER_DECISION: "false" });
    try {
      const session = await create(own);
      await device(own, session, { livenessDecision: "spoofface" });
      expect((await read(own, session.id)).json().decision.outcome).toBe("declined");
      await settle();
      expect(faceHas(own, session)).toBe(true);
    } finally {
      await own.close();
    }
  });

  it("when Face fails the deletion, then the background loop retries it until the session is gone", async () => {
    const own = await startOutcomeStack({ FACE_RETRY_MAX_ATTEMPTS: "1", SESSION_SWEEP_INTERVAL_MS: "100" });
    try {
      const session = await create(own);
      await device(own, session, { livenessDecision: "spoofface" });
      own.emulator.state.faults.set([{ fault: "500", count: 1, operations: ["deleteLivenessSession"] }]);
      await read(own, session.id);
      await eventually(() => expect(own.logs.text).toContain("could not delete the session at Face; it will be retried"));
      // The retry is due one sweep interval later by the app's clock.
      own.clock.advance(100);
      await eventually(() => expect(faceHas(own, session)).toBe(false));
      expect(own.emulator.state.requestCount("deleteLivenessSession")).toBe(2);
      await eventually(() => expect(eventsOf(own, session.id, "deletedAtFace")).toMatchObject([{ actor: "system" }]));
    } finally {
      await own.close();
    }
  });
});
