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

describe.each(backends)("ImageStore byte bound ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const images = () => ctx.state.images;
  const image = (sessionId: string, size: number, retainForMs = 10_000): RetainedImage => ({
    sessionId,
    clientId: "acme",
    bytes: new Uint8Array(size).fill(0xab),
    retainUntil: ctx.clock.now() + retainForMs,
  });

  it("when an image would take the store past maxBytes, then it is not kept, and the images already kept stay", async () => {
    expect(await images().put(image("a", 600), 1000)).toBe(true);
    expect(await images().put(image("b", 400), 1000)).toBe(true);
    expect(await images().put(image("c", 1), 1000)).toBe(false);
    expect(await images().get("c")).toBeUndefined();
    expect((await images().get("a"))?.bytes.length).toBe(600);
    expect((await images().get("b"))?.bytes.length).toBe(400);
  });

  it("when an image is deleted, then its bytes no longer count", async () => {
    await images().put(image("a", 800), 1000);
    expect(await images().put(image("b", 800), 1000)).toBe(false);
    await images().delete("a");
    expect(await images().put(image("b", 800), 1000)).toBe(true);
  });

  it("when an image is put again, then its new size replaces its old one in the count", async () => {
    await images().put(image("a", 900), 1000);
    expect(await images().put(image("a", 1000), 1000)).toBe(true);
    expect(await images().put(image("b", 1), 1000)).toBe(false);
  });

  it("when kept images' retention ends, then their bytes stop counting before the sweeper deletes them, and the sweeper still finds them", async () => {
    await images().put(image("old", 900, 100), 1000);
    ctx.clock.advance(100);
    expect(await images().put(image("new", 900), 1000)).toBe(true);
    expect(await images().due(10)).toEqual([{ sessionId: "old", clientId: "acme" }]);
    expect(await images().delete("old")).toBe(true);
    expect((await images().get("new"))?.bytes.length).toBe(900);
  });

  it("when puts race for the last room, then exactly what fits is kept", async () => {
    const kept = await Promise.all(Array.from({ length: 6 }, (_, i) => images().put(image(`s${i}`, 300), 1000)));
    expect(kept.filter(Boolean)).toHaveLength(3);
  });
});
