import { inflateSync } from "node:zlib";

import { describe, expect, it } from "vitest";

import { centredFaceRectangle, newSessionImageId, renderNoisePng } from "../../src/emulator/emulator-image.js";
import { checkImage } from "../../src/lib/image-format.js";
import {
  makeNotAnImage,
  makeTestJpeg,
  makeTestPng,
  makeTooBigImage,
  makeTooSmallImage,
  makeUndecodableJpeg,
} from "../helpers/emulator-images.js";

describe("emulator images", () => {
  it("when a session image is rendered, then it is a PNG of at least 1 KB whose pixel data inflates fully", () => {
    const png = renderNoisePng("seed", 32, 32);
    expect(png.length).toBeGreaterThanOrEqual(1024);
    expect(checkImage(png)).toEqual({ ok: true, format: "png", mimeType: "image/png", dimensions: { width: 32, height: 32 } });
    // IDAT starts after signature (8) + IHDR chunk (25); its length is the first 4 bytes.
    const idatLength = png.readUInt32BE(33);
    expect(png.toString("ascii", 37, 41)).toBe("IDAT");
    expect(inflateSync(png.subarray(41, 41 + idatLength))).toHaveLength(32 * (1 + 32 * 3));
    expect(png.subarray(-12).toString("ascii", 4, 8)).toBe("IEND");
  });

  it("when the same seed is rendered twice, then the bytes are equal, and differ for another seed", () => {
    expect(renderNoisePng("a").equals(renderNoisePng("a"))).toBe(true);
    expect(renderNoisePng("a").equals(renderNoisePng("b"))).toBe(false);
  });

  it("when session image ids are made, then they look like Face's: 44 alphanumerics, all distinct", () => {
    const ids = Array.from({ length: 50 }, () => newSessionImageId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{44}$/);
    expect(new Set(ids).size).toBe(50);
  });

  it("when a face rectangle is centred, then it sits inside the frame", () => {
    expect(centredFaceRectangle(400, 600)).toEqual({ top: 120, left: 100, width: 200, height: 360 });
    expect(centredFaceRectangle(1, 1)).toEqual({ top: 0, left: 0, width: 1, height: 1 });
  });

  it("when the test helpers build images, then checkImage sees what each one is meant to be", () => {
    expect(checkImage(makeTestJpeg({ width: 640, height: 480 }))).toMatchObject({
      ok: true,
      format: "jpeg",
      dimensions: { width: 640, height: 480 },
    });
    expect(makeTestJpeg().length).toBeGreaterThanOrEqual(2048);
    expect(checkImage(makeTestPng())).toMatchObject({ ok: true, format: "png" });
    expect(checkImage(makeTooSmallImage())).toEqual({ ok: false, problem: "tooSmall" });
    expect(checkImage(makeTooBigImage())).toEqual({ ok: false, problem: "tooLarge" });
    expect(checkImage(makeNotAnImage())).toEqual({ ok: false, problem: "unsupportedFormat" });
    expect(checkImage(makeUndecodableJpeg())).toEqual({ ok: false, problem: "unreadable" });
  });
});
