/** The ImageStore contract, for every backend: images kept until their retention ends, then found by due(). */
import { describe, expect, it } from "vitest";
import type { RetainedImage } from "../../src/state/image-store.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

describe.each(backends)("ImageStore ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const images = () => ctx.state.images;

  const image = (sessionId: string, retainForMs: number, clientId = "acme"): RetainedImage => ({
    sessionId,
    clientId,
    bytes: Uint8Array.from([0xff, 0xd8, 0xff, sessionId.length]),
    retainUntil: ctx.clock.now() + retainForMs,
  });

  it("when an image is kept, then get answers its bytes until the retention ends, and a copy its reader cannot change", async () => {
    const kept = image("s1", 1000);
    await images().put(kept);
    const read = await images().get("s1");
    expect(read).toEqual({ ...kept, bytes: kept.bytes });
    read!.bytes[0] = 0;
    expect((await images().get("s1"))?.bytes[0]).toBe(0xff);
    ctx.clock.advance(1000);
    expect(await images().get("s1")).toBeUndefined();
    expect(await images().get("unknown")).toBeUndefined();
  });

  it("when retentions end, then due answers those images earliest first, up to the limit, and none whose retention runs on", async () => {
    await images().put(image("later", 300));
    await images().put(image("first", 100, "globex"));
    await images().put(image("second", 200));
    await images().put(image("kept", 10_000));
    ctx.clock.advance(300);
    expect(await images().due(2)).toEqual([
      { sessionId: "first", clientId: "globex" },
      { sessionId: "second", clientId: "acme" },
    ]);
    expect((await images().due(10)).map((i) => i.sessionId)).toEqual(["first", "second", "later"]);
  });

  it("when a due image is deleted, then it is due no more, and a second delete reports nothing", async () => {
    await images().put(image("s1", 100));
    ctx.clock.advance(100);
    expect(await images().delete("s1")).toBe(true);
    expect(await images().delete("s1")).toBe(false);
    expect(await images().due(10)).toEqual([]);
  });

  it("when an image is put again with a later retention, then it is due only at the later time", async () => {
    await images().put(image("s1", 100));
    await images().put(image("s1", 500));
    ctx.clock.advance(100);
    expect(await images().due(10)).toEqual([]);
    ctx.clock.advance(400);
    expect(await images().due(10)).toEqual([{ sessionId: "s1", clientId: "acme" }]);
  });
});
