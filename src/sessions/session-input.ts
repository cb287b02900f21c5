/**
 * Reads a create request in either encoding, JSON (image as base64) or multipart (image as a file part), into one
 * validated input. Multipart is read here rather than by a route schema because its fields arrive as text and its
 * file as a stream; both encodings end in the same zod-checked shape and the same error envelope.
 */
import type { MultipartFile, MultipartValue } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";
import { ZodOptional, ZodPipe, type z } from "zod";
import { AppError, type FieldIssue } from "../errors.js";
import type { LivenessOperationMode, SessionKind } from "../face/face-gateway.js";
import { isPlainText } from "../lib/plain-text.js";
import type { ConsentEvidence } from "../state/session-record.js";
import { createSessionJsonSchema, createSessionMultipartFieldsSchema, DEFAULT_TOKEN_TTL_SECONDS, MAX_CALLBACK_URL_CHARS } from "./session-schemas.js";

export interface CreateSessionInput {
  kind: SessionKind;
  livenessOperationMode: LivenessOperationMode;
  deviceCorrelationId?: string;
  authTokenTtlSeconds: number;
  enableSessionImage: boolean;
  subject?: string;
  verifyConfidenceThreshold?: number;
  /** Raw bytes; format and size are checked by the service, never trusted from a declared type. */
  verifyImage?: Buffer;
  /** Where the webhook dispatcher sends this session's news; passed through on the created event. */
  callbackUrl?: string;
  /** Kept with the record; never sent to Face. */
  consent?: ConsentEvidence;
}

const VERIFY_IMAGE_PART = "verifyImage";

/**
 * busboy's limit on one text part, in bytes (app.ts gives it to @fastify/multipart). A UTF-16 unit takes at most 3
 * UTF-8 bytes, so the longest text any field accepts (callbackUrl, 2048) always arrives whole, and a value cut at this
 * size was longer than every field's limit: its field's own "at most N characters" is then the true answer.
 */
export const MULTIPART_FIELD_BYTES = 3 * MAX_CALLBACK_URL_CHARS;

/** The most characters a field's schema accepts, when it has a plain length limit (the text fields and the URL do). */
function maxCharsOf(field: string): number | undefined {
  const schema = (createSessionMultipartFieldsSchema.shape as Record<string, z.ZodType>)[field];
  const unwrapped: unknown = schema instanceof ZodOptional ? schema.unwrap() : schema;
  // callbackUrl is a pipe: its length is checked on the input side, as sent.
  const inner = unwrapped instanceof ZodPipe ? unwrapped.in : unwrapped;
  const max = (inner as { maxLength?: unknown } | undefined)?.maxLength;
  return typeof max === "number" ? max : undefined;
}

function tooLong(field: string): string {
  const max = maxCharsOf(field);
  return max === undefined ? "is too long" : `must be at most ${max} characters`;
}

function issuesToFields(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

function invalid(fields: FieldIssue[]): AppError {
  return new AppError("LSO_ERR_VALIDATION", { fields });
}

/** Text of 1 to `max` UTF-16 units without control or bidi characters: within what the schema's text fields accept. */
const shortPlainText = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= max && isPlainText(value);

/**
 * The common create, checked by hand: a liveness session with none but the simple fields (mode, device id, TTL,
 * session image, subject), each well within what the schema accepts. It answers what the schema's parse would (its
 * defaults, its key order) and costs a key loop instead of zod's walk, which was a tenth of a create's own work. Any
 * other body (another key, a value the checks here are unsure of, a callbackUrl, consent, the verify kind) answers
 * undefined and goes to the schema, which stays the one authority on what is accepted and on every error.
 */
function simpleLivenessInput(body: unknown): CreateSessionInput | undefined {
  if (typeof body !== "object" || body === null || Object.getPrototypeOf(body) !== Object.prototype) return undefined;
  let kind = false;
  let livenessOperationMode: LivenessOperationMode = "PassiveActive";
  let deviceCorrelationId: string | undefined;
  let authTokenTtlSeconds = DEFAULT_TOKEN_TTL_SECONDS;
  let enableSessionImage = false;
  let subject: string | undefined;
  for (const key in body) {
    const value: unknown = (body as Record<string, unknown>)[key];
    switch (key) {
      case "kind":
        if (value !== "liveness") return undefined;
        kind = true;
        break;
      case "livenessOperationMode":
        if (value !== "Passive" && value !== "PassiveActive") return undefined;
        livenessOperationMode = value;
        break;
      case "deviceCorrelationId":
        if (!shortPlainText(value, 64)) return undefined;
        deviceCorrelationId = value;
        break;
      case "authTokenTtlSeconds":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 60 || value > 86400) return undefined;
        authTokenTtlSeconds = value;
        break;
      case "enableSessionImage":
        if (typeof value !== "boolean") return undefined;
        enableSessionImage = value;
        break;
      case "subject":
        if (!shortPlainText(value, 128)) return undefined;
        subject = value;
        break;
      default:
        return undefined;
    }
  }
  if (!kind) return undefined;
  // Built in the schema's key order (its output's), the required fields set just below.
  const input = { kind: "liveness", livenessOperationMode } as CreateSessionInput;
  if (deviceCorrelationId !== undefined) input.deviceCorrelationId = deviceCorrelationId;
  input.authTokenTtlSeconds = authTokenTtlSeconds;
  input.enableSessionImage = enableSessionImage;
  if (subject !== undefined) input.subject = subject;
  return input;
}

export function readJsonInput(body: unknown): CreateSessionInput {
  const simple = simpleLivenessInput(body);
  if (simple) return simple;
  const parsed = createSessionJsonSchema.safeParse(body ?? {});
  if (!parsed.success) throw invalid(issuesToFields(parsed.error, "body"));
  const { verifyImage, ...rest } = parsed.data as typeof parsed.data & { verifyImage?: string };
  return verifyImage === undefined ? rest : { ...rest, verifyImage: Buffer.from(verifyImage, "base64") };
}

function isFile(part: MultipartFile | MultipartValue): part is MultipartFile {
  return part.type === "file";
}

/** Client-caused multipart failures that are not @fastify/multipart's own coded errors (busboy's parse errors). */
function asMalformed(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("FST_")) return error;
  return new AppError("LSO_ERR_MALFORMED_BODY", { message: "The multipart body is malformed." });
}

export async function readMultipartInput(request: FastifyRequest): Promise<CreateSessionInput> {
  const fields: Record<string, string> = {};
  const problems: FieldIssue[] = [];
  let image: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (isFile(part)) {
        if (part.fieldname !== VERIFY_IMAGE_PART || image) {
          problems.push({ path: `body.${part.fieldname}`, message: `unexpected file part; send one file part named ${VERIFY_IMAGE_PART}` });
          part.file.resume(); // discard it, but keep reading so the request completes cleanly
          continue;
        }
        image = await part.toBuffer();
      } else if (part.fieldname === VERIFY_IMAGE_PART) {
        problems.push({ path: `body.${VERIFY_IMAGE_PART}`, message: "must be a file part (with a filename), not a text field" });
      } else if (part.fieldname in fields) {
        problems.push({ path: `body.${part.fieldname}`, message: "appears more than once" });
      } else if (part.fieldnameTruncated) {
        problems.push({ path: `body.${part.fieldname}`, message: "has too long a name" });
      } else if (part.valueTruncated) {
        problems.push({ path: `body.${part.fieldname}`, message: tooLong(part.fieldname) });
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    throw asMalformed(error);
  }

  const parsed = createSessionMultipartFieldsSchema.safeParse(fields);
  if (!parsed.success) problems.push(...issuesToFields(parsed.error, "body"));
  if (problems.length || !parsed.success) throw invalid(problems);

  const input: CreateSessionInput = { ...parsed.data };
  if (input.kind === "livenessWithVerify") {
    if (!image) throw invalid([{ path: `body.${VERIFY_IMAGE_PART}`, message: "is required for livenessWithVerify" }]);
    input.verifyImage = image;
  } else if (image || input.verifyConfidenceThreshold !== undefined) {
    throw invalid([{ path: `body.${image ? VERIFY_IMAGE_PART : "verifyConfidenceThreshold"}`, message: "is only allowed for livenessWithVerify" }]);
  }
  return input;
}
