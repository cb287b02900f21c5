import { createHash, randomInt } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";

import type { FaceRectangle } from "./emulator-state.js";

/**
 * The images the emulator makes up: session images (what the device's camera "saw") and the face rectangles it
 * "detects". Real enough to pass the same checks as a Face image: a decodable PNG of at least 1 KB.
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * Encodes an 8-bit RGB PNG whose pixels are a hash stream of `seed`: deterministic per seed, and noisy enough that
 * deflate cannot shrink it below Face's 1 KB minimum.
 */
export function renderNoisePng(seed: string, width = 32, height = 32): Buffer {
  const rowLength = 1 + width * 3; // leading filter byte 0 ("None") per scanline
  const raw = Buffer.alloc(rowLength * height);
  let block = createHash("sha256").update(seed).digest();
  let used = 0;
  for (let y = 0; y < height; y++) {
    for (let i = 1; i < rowLength; i++) {
      if (used === block.length) {
        block = createHash("sha256").update(block).digest();
        used = 0;
      }
      raw[y * rowLength + i] = block[used++]!;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Face's session image ids are 44 alphanumerics (e.g. `Ae3PVWlXAmVAnXgkAFt1QSjGUWONKzWiSr2iPh9p9G4I`), not UUIDs. */
export function newSessionImageId(): string {
  let id = "";
  for (let i = 0; i < 44; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** Where the emulator "finds" the face: the centre of the frame, as a well-framed selfie would have it. */
export function centredFaceRectangle(width: number, height: number): FaceRectangle {
  const faceWidth = Math.max(1, Math.round(width * 0.5));
  const faceHeight = Math.max(1, Math.round(height * 0.6));
  return {
    top: Math.round((height - faceHeight) / 2),
    left: Math.round((width - faceWidth) / 2),
    width: faceWidth,
    height: faceHeight,
  };
}

/** The device camera frame the emulator pretends to have analysed (portrait 720p). */
export const DEVICE_FRAME = { width: 720, height: 1280 } as const;
