/**
 * GET /v1/sessions/{id}/image while a cleanup (here or on another replica) copies the image to the ImageStore and
 * deletes the session at Face: the read that found no copy and then met Face's 404 must look at the store again,
 * since the copy is always written before the Face deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { State } from "../../src/state/state.js";
import type { MemoryState } from "../../src/state/state-memory.js";
import { auth, FACE_KEY } from "../helpers/app-harness.js";
import { faceFetch, keyHeaders, type SessionBody } from "../helpers/emulator-client.js";
import { create, device, faceHas, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

let stack: OutcomeStack;
/** The session whose first image-store read loses the race against a cleanup. */
let racing: string | undefined;
let raced = 0;

async function imageAtFace(id: string): Promise<Buffer> {
  const session = await faceFetch<SessionBody>(stack.emulator.url, `/detectLiveness-sessions/${id}`, { headers: keyHeaders(FACE_KEY) });
  const imageId = session.body.results.attempts[0]!.result!.sessionImageId!;
  return Buffer.from(await (await fetch(`${stack.emulator.url}/face/v1.2/sessionImages/${imageId}`, { headers: keyHeaders(FACE_KEY) })).arrayBuffer());
}

/** Plays another replica's cleanup right after the read looked at the store: copy the image, then delete at Face. */
function racingImages(memory: MemoryState): State {
  const images = memory.images;
  const get: typeof images.get = async (sessionId) => {
    const seen = await images.get(sessionId);
    if (sessionId === racing && raced === 0) {
      raced += 1;
      const bytes = await imageAtFace(sessionId);
      await images.put({ sessionId, clientId: "acme", bytes, retainUntil: stack.clock.now() + 60_000 });
      await fetch(`${stack.emulator.url}/face/v1.2/detectLiveness-sessions/${sessionId}`, { method: "DELETE", headers: keyHeaders(FACE_KEY) });
    }
    return seen;
  };
  return Object.assign(Object.create(memory) as State, { images: Object.assign(Object.create(images) as typeof images, { get }) });
}

beforeAll(async () => {
  stack = await startOutcomeStack({ SESSION_IMAGE_RETENTION_SECONDS: "60", DELETE_AFTER_DECISION: "false" }, { wrapState: racingImages });
});
afterAll(async () => stack.close());

describe("GET /v1/sessions/{id}/image during a cleanup", () => {
  it("when the Face session is deleted after its image was copied, between the store read and the Face read, then the copy is served", async () => {
    const session = await create(stack, { enableSessionImage: true });
    await device(stack, session, { livenessDecision: "realface" });
    const original = await imageAtFace(session.id);
    racing = session.id;

    const res = await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}/image`, headers: auth() });
    expect(raced).toBe(1);
    expect(faceHas(stack, session)).toBe(false);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.rawPayload.equals(original)).toBe(true);
  });
});
