import type { FastifyReply } from "fastify";

/**
 * The errors the emulator answers with, in Face's own vocabulary: `{error:{code,message}}` plus `x-ms-error-code`.
 * Codes and messages are Face's documented ones, so clients can branch on them exactly as against the real service.
 * Situations only the emulator has get codes prefixed `Emulator`, so nobody mistakes them for Face behaviour.
 * @see https://learn.microsoft.com/azure/ai-services/computer-vision/reference-face-error-codes
 */
export const emulatorErrorCatalog = {
  BadArgument: { status: 400, message: "Request body is invalid." },
  JsonParsingError: { status: 400, code: "BadArgument", message: "JSON parsing error." },
  InvalidMediaType: { status: 415, code: "BadArgument", message: "Invalid Media Type." },
  InvalidRequestBody: {
    status: 400,
    message: "Incorrect request body provided. Please check the operation schema and try again.",
  },
  InvalidTokenLifetime: {
    status: 400,
    message: "Invalid authTokenTimeToLiveInSeconds specified. Must be within 60 to 86400.",
  },
  InvalidLivenessOperationMode: {
    status: 400,
    message: "Invalid livenessOperationMode specified. Must be 'Passive' or 'PassiveActive'.",
  },
  InvalidDeviceCorrelationId: {
    status: 400,
    message:
      "A device correlation ID is required in the request body during session create or session start. Must not be null or empty, and be no more than 64 characters.",
  },
  InvalidImage: { status: 400, message: "Decoding error, image format unsupported." },
  ImageTooSmall: { status: 400, code: "InvalidImageSize", message: "Image size is too small (<1 KB)." },
  ImageTooBig: { status: 400, code: "InvalidImageSize", message: "Image size is too big (>6 MB)." },
  Unauthorized: {
    status: 401,
    code: "401",
    message:
      "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
  },
  // Face does not document the device-side rejection; the same 401 shape keeps clients' handling uniform.
  InvalidSessionToken: {
    status: 401,
    code: "401",
    message: "Access denied due to an invalid, expired or revoked session authorization token.",
  },
  SessionNotFound: { status: 404, message: "Session ID is not found. The session ID is expired or does not exist." },
  // Face documents no code for an unknown session image id; this one says what happened.
  SessionImageNotFound: {
    status: 404,
    message: "Session image ID is not found. The session image ID is expired or does not exist.",
  },
  RouteNotFound: { status: 404, code: "404", message: "Resource not found" },
  // Emulator-only: the real device SDK cannot submit to a finished session, so Face has no code for it.
  EmulatorSessionCompleted: {
    status: 409,
    message: "The session has already completed; create a new session to try again.",
  },
  InternalServerError: { status: 500, message: "An unexpected error occurred in the Face emulator." },
} as const satisfies Record<string, { status: number; code?: string; message: string }>;

export type EmulatorErrorName = keyof typeof emulatorErrorCatalog;

/** Thrown anywhere in the emulator; the error handler turns it into Face's envelope. */
export class EmulatorError extends Error {
  readonly status: number;
  readonly code: string;

  /** `detail` is appended to the message: Face's fixed texts never say which field was wrong. */
  constructor(name: EmulatorErrorName, detail?: string) {
    const entry: { status: number; code?: string; message: string } = emulatorErrorCatalog[name];
    super(detail ? `${entry.message} (emulator: ${detail})` : entry.message);
    this.name = "EmulatorError";
    this.status = entry.status;
    this.code = entry.code ?? name;
  }
}

export function sendFaceError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header("x-ms-error-code", code).type("application/json; charset=utf-8").send({ error: { code, message } });
}
