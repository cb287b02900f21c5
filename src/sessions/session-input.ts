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
import type { ConsentEvidence } from "../state/session-record.js";
import { createSessionJsonSchema, createSessionMultipartFieldsSchema, MAX_CALLBACK_URL_CHARS } from "./session-schemas.js";

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

export function readJsonInput(body: unknown): CreateSessionInput {
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
