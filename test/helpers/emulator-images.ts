import { MAX_IMAGE_BYTES } from "../../src/lib/image-format.js";
import { renderNoisePng } from "../../src/emulator/emulator-image.js";

/**
 * Test images built in code, so no binary fixtures live in the repo. All valid ones are at least 1 KB, Face's
 * minimum for a verify image.
 */

const segment = (marker: number, payload: number[] | Buffer): Buffer => {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xff00 | marker, 0);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([header, body]);
};

/**
 * A baseline grayscale JPEG that real decoders accept: a uniform grey image whose every 8x8 block is "DC diff 0,
 * end of block", coded with one-symbol Huffman tables (one bit each). A comment segment pads it to `minBytes`.
 */
export function makeTestJpeg(options: { width?: number; height?: number; minBytes?: number } = {}): Buffer {
  const { width = 64, height = 64, minBytes = 2048 } = options;
  const size = [height >> 8, height & 0xff, width >> 8, width & 0xff];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  // Two zero bits per block, then padded with one-bits to a whole byte (a 0xFF can't occur, so no stuffing needed).
  const bits = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bits / 8));
  if (bits % 8 !== 0) scan[scan.length - 1] = (1 << (8 - (bits % 8))) - 1;
  const oneSymbolTable = (tableClass: number) => [tableClass, 1, ...new Array<number>(15).fill(0), 0x00];

  const parts = [
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    segment(0xc0, [8, ...size, 1, 1, 0x11, 0]),
    segment(0xc4, oneSymbolTable(0x00)),
    segment(0xc4, oneSymbolTable(0x10)),
    segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    scan,
    Buffer.from([0xff, 0xd9]),
  ];
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const padding = Math.max(0, minBytes - length - 4);
  if (padding > 0) parts.splice(2, 0, segment(0xfe, Buffer.alloc(Math.min(padding, 65_533), 0x20)));
  return Buffer.concat(parts);
}

/** A noise PNG (deterministic per seed), about 3 KB at the default 32x32. */
export function makeTestPng(seed = "test", width = 32, height = 32): Buffer {
  return renderNoisePng(seed, width, height);
}

/** Under 1 KB: Face answers InvalidImageSize "too small". */
export function makeTooSmallImage(): Buffer {
  return makeTestJpeg({ minBytes: 0 }).subarray(0, 512);
}

/** Over 6 MB with a JPEG signature: Face answers InvalidImageSize "too big" before looking at the content. */
export function makeTooBigImage(extraBytes = 1): Buffer {
  const bytes = Buffer.alloc(MAX_IMAGE_BYTES + extraBytes, 0x20);
  bytes.set([0xff, 0xd8, 0xff], 0);
  return bytes;
}

/** Big enough, but not an image at all: InvalidImage. */
export function makeNotAnImage(): Buffer {
  return Buffer.from("this is plain text, not an image. ".repeat(64));
}

/** A JPEG signature with no frame header: it can't be decoded, so InvalidImage. */
export function makeUndecodableJpeg(): Buffer {
  const bytes = Buffer.alloc(2048, 0);
  bytes.set([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x10], 0);
  return bytes;
}
