import type { FastifyRequest } from "fastify";

import { MAX_IMAGE_BYTES, checkImage, type ImageDimensions } from "../lib/image-format.js";
import { EmulatorError } from "./emulator-errors.js";

/**
 * Reads the multipart body of create-with-verify: flat text parts plus the `verifyImage` file part.
 * Every part is consumed to the end even after a problem is seen, so the client always gets our answer instead of a
 * reset connection; the problem is raised once the body has been read.
 */

/**
 * One byte over Face's 6 MB bound: enough to tell "too big" apart (busboy marks the file truncated), while a
 * request never holds more than that in memory.
 */
export const multipartLimits = {
  fileSize: MAX_IMAGE_BYTES + 1,
  files: 1,
  fields: 16,
  parts: 17,
  fieldSize: 1024,
  headerPairs: 20,
} as const;

export interface VerifyCreateForm {
  fields: Record<string, string>;
  verifyImage?: { bytes: Buffer; filename: string; truncated: boolean };
}

export interface CheckedVerifyImage {
  bytes: Buffer;
  dimensions: ImageDimensions;
}

const MISSING_FILENAME = "the verifyImage part must carry a filename in its Content-Disposition";

export async function readVerifyCreateForm(request: FastifyRequest): Promise<VerifyCreateForm> {
  if (!request.isMultipart()) throw new EmulatorError("InvalidMediaType", "multipart/form-data is required");
  const fields: Record<string, string> = {};
  let verifyImage: VerifyCreateForm["verifyImage"];
  let problem: string | undefined;
  let partCount = 0;
  const note = (text: string) => (problem ??= text);
  try {
    for await (const part of request.parts()) {
      partCount += 1;
      if (part.type === "file") {
        // Reading to the end also drains parts we are about to refuse.
        const bytes = await part.toBuffer();
        if (part.fieldname !== "verifyImage") note(`unexpected file part "${part.fieldname}"`);
        else if (!part.filename) note(MISSING_FILENAME);
        else verifyImage = { bytes, filename: part.filename, truncated: part.file.truncated };
        continue;
      }
      if (part.fieldname === "verifyImage") note(MISSING_FILENAME);
      else if (part.fieldname in fields) note(`duplicate part "${part.fieldname}"`);
      else if (part.valueTruncated || part.fieldnameTruncated) note(`part "${part.fieldname}" is too long`);
      // @fastify/multipart has already parsed parts declared application/json; put them back to text.
      else fields[part.fieldname] = typeof part.value === "string" ? part.value : JSON.stringify(part.value);
    }
  } catch (error) {
    // Limits hit, malformed boundaries, early end: all are a bad body, never a server fault.
    throw new EmulatorError("InvalidRequestBody", error instanceof Error ? error.message : "malformed multipart body");
  }
  // A body busboy finds no part in is not a form at all; say so rather than blame the first missing field.
  if (partCount === 0) note("the multipart body has no parts");
  if (problem) throw new EmulatorError("InvalidRequestBody", problem);
  return verifyImage ? { fields, verifyImage } : { fields };
}

/** The image checks Face makes without a face detector, with Face's codes and messages. */
export function checkVerifyImage(image: VerifyCreateForm["verifyImage"]): CheckedVerifyImage {
  // The spec marks verifyImage required; the SDK's own sample omits it. We follow the spec on purpose, so a client
  // that forgets the image fails here rather than against the real service.
  if (!image) throw new EmulatorError("InvalidRequestBody", "the verifyImage part is required");
  if (image.truncated) throw new EmulatorError("ImageTooBig");
  const check = checkImage(image.bytes);
  if (check.ok) return { bytes: image.bytes, dimensions: check.dimensions };
  switch (check.problem) {
    case "tooSmall":
      throw new EmulatorError("ImageTooSmall");
    case "tooLarge":
      throw new EmulatorError("ImageTooBig");
    case "unsupportedFormat":
    case "unreadable":
      throw new EmulatorError("InvalidImage");
  }
}
