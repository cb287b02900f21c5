/**
 * Image sniffing by magic bytes, shared by the API (to refuse what Face would refuse, before calling it) and the
 * emulator (to refuse it the way Face does). A declared Content-Type is never trusted: only the bytes decide.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/reference-face-error-codes (InvalidImage, InvalidImageSize)
 */
export type ImageFormat = "jpeg" | "png" | "gif" | "bmp";

/** Face's documented bounds for a verify image. */
export const MIN_IMAGE_BYTES = 1024;
export const MAX_IMAGE_BYTES = 6 * 1024 * 1024;

export const imageMimeTypes: Record<ImageFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  bmp: "image/bmp",
};

export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return "png";
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return "gif";
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return "bmp";
  return undefined;
}

export interface ImageDimensions {
  width: number;
  height: number;
}

/**
 * Reads width and height from the image header without decoding pixels.
 * Returns undefined when the header is truncated or inconsistent: such a file cannot be decoded by Face either.
 */
export function readImageDimensions(bytes: Uint8Array, format: ImageFormat): ImageDimensions | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : undefined);
  switch (format) {
    case "png":
      // IHDR is always the first chunk: 8-byte signature, 4-byte length, "IHDR", then width and height.
      return bytes.length >= 24 ? dims(view.getUint32(16), view.getUint32(20)) : undefined;
    case "gif":
      return bytes.length >= 10 ? dims(view.getUint16(6, true), view.getUint16(8, true)) : undefined;
    case "bmp":
      // BITMAPINFOHEADER: height is signed (negative means top-down rows).
      return bytes.length >= 26 ? dims(view.getInt32(18, true), Math.abs(view.getInt32(22, true))) : undefined;
    case "jpeg":
      return readJpegDimensions(bytes, view);
  }
}

function readJpegDimensions(bytes: Uint8Array, view: DataView): ImageDimensions | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Markers without a length field.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (length < 2) return undefined;
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      if (offset + 9 > bytes.length) return undefined;
      const height = view.getUint16(offset + 5);
      const width = view.getUint16(offset + 7);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    offset += 2 + length;
  }
  return undefined;
}

export type ImageProblem = "tooSmall" | "tooLarge" | "unsupportedFormat" | "unreadable";

export type ImageCheck =
  | { ok: true; format: ImageFormat; mimeType: string; dimensions: ImageDimensions }
  | { ok: false; problem: ImageProblem };

/** Everything Face checks about a verify image that can be checked without a face detector. */
export function checkImage(bytes: Uint8Array): ImageCheck {
  if (bytes.length < MIN_IMAGE_BYTES) return { ok: false, problem: "tooSmall" };
  if (bytes.length > MAX_IMAGE_BYTES) return { ok: false, problem: "tooLarge" };
  const format = detectImageFormat(bytes);
  if (!format) return { ok: false, problem: "unsupportedFormat" };
  const dimensions = readImageDimensions(bytes, format);
  if (!dimensions) return { ok: false, problem: "unreadable" };
  return { ok: true, format, mimeType: imageMimeTypes[format], dimensions };
}
