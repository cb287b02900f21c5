/**
 * Plain-fetch helpers for talking to a running Face emulator (`startEmulator(...).url`), for the emulator's own
 * tests and for end-to-end tests that need to play the device's part.
 */
export const FACE_PATH = "/face/v1.2";

export type EmulatorKind = "liveness" | "livenessWithVerify";

export interface FaceRectangleBody {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface AttemptBody {
  attemptId: number;
  attemptStatus: string;
  result?: {
    livenessDecision?: string;
    targets: { color: { faceRectangle: FaceRectangleBody } };
    digest: string;
    sessionImageId?: string;
    verifyResult?: { matchConfidence: number; isIdentical: boolean };
    verifyImageHash?: string;
  };
  error?: { code: string; message: string; targets: { color: { faceRectangle: FaceRectangleBody } } };
}

export interface SessionBody {
  sessionId: string;
  authToken: string;
  status: string;
  modelVersion?: string;
  results: {
    attempts: AttemptBody[];
    verifyReferences?: Array<{ referenceType: string; faceRectangle: FaceRectangleBody; qualityForRecognition: string }>;
  };
}

export interface FaceErrorBody {
  error: { code: string; message: string };
}

export interface EmulatorResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  return (response.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
}

/** Sends a request under `/face/v1.2` and parses a JSON answer; the caller states what it expects to get. */
export async function faceFetch<T = SessionBody>(url: string, path: string, init: RequestInit = {}): Promise<EmulatorResponse<T>> {
  const response = await fetch(`${url}${FACE_PATH}${path}`, init);
  return { status: response.status, headers: response.headers, body: (await readBody(response)) as T };
}

export const keyHeaders = (apiKey: string, extra: Record<string, string> = {}) => ({
  "Ocp-Apim-Subscription-Key": apiKey,
  ...extra,
});

export interface DeviceAttemptRequest {
  livenessDecision?: "realface" | "spoofface" | "uncertain";
  matchConfidence?: number;
  errorCode?: string;
  start?: true;
}

/**
 * Plays the phone: sends a liveness attempt (or `{start: true}`) with the session's authToken.
 * Answers `{attemptId, digest}` for a result, `{attemptId}` for a failed attempt, `{status}` for a start.
 */
export async function emulatorDeviceAttempt<T = { attemptId?: number; digest?: string; status?: string }>(
  url: string,
  kind: EmulatorKind,
  authToken: string,
  body: DeviceAttemptRequest | unknown,
): Promise<EmulatorResponse<T>> {
  const path = kind === "liveness" ? "/detectLiveness/singleModal" : "/detectLivenessWithVerify/singleModal";
  return faceFetch<T>(url, path, {
    method: "POST",
    headers: { authorization: `Bearer ${authToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

export function createLivenessSession<T = SessionBody>(url: string, apiKey: string, body: unknown): Promise<EmulatorResponse<T>> {
  return faceFetch<T>(url, "/detectLiveness-sessions", {
    method: "POST",
    headers: keyHeaders(apiKey, { "content-type": "application/json" }),
    body: JSON.stringify(body),
  });
}

export interface VerifyImagePart {
  bytes: Uint8Array;
  /** Omit to send the part without a filename, which Face refuses. */
  filename?: string;
  contentType?: string;
}

export interface RawPart {
  name: string;
  value: string | Uint8Array;
  filename?: string;
  contentType?: string;
}

/**
 * A hand-built multipart body, for what FormData can't express (it always names Blob parts "blob").
 * Text parts carry `text/plain; charset=UTF-8` as the SDK's encoder sends them.
 */
export function rawMultipart(parts: RawPart[]): { body: Buffer; contentType: string } {
  const boundary = `----emulator-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? "" : `; filename=${JSON.stringify(part.filename)}`;
    const type = part.contentType ?? (typeof part.value === "string" ? "text/plain; charset=UTF-8" : "application/octet-stream");
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${JSON.stringify(part.name)}${filename}\r\nContent-Type: ${type}\r\n\r\n`));
    chunks.push(Buffer.from(part.value));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The create-with-verify body: flat text parts plus the `verifyImage` file part, via FormData when it can. */
function verifyBody(fields: Record<string, string | number | boolean>, image?: VerifyImagePart): { body: FormData | Buffer; headers: Record<string, string> } {
  if (image && image.filename === undefined) {
    const parts: RawPart[] = Object.entries(fields).map(([name, value]) => ({ name, value: String(value) }));
    parts.push({ name: "verifyImage", value: image.bytes, contentType: image.contentType ?? "image/jpeg" });
    const raw = rawMultipart(parts);
    return { body: raw.body, headers: { "content-type": raw.contentType } };
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
  if (image) form.append("verifyImage", new Blob([image.bytes], { type: image.contentType ?? "image/jpeg" }), image.filename);
  return { body: form, headers: {} };
}

export function createVerifySession<T = SessionBody>(
  url: string,
  apiKey: string,
  fields: Record<string, string | number | boolean>,
  image?: VerifyImagePart,
): Promise<EmulatorResponse<T>> {
  const { body, headers } = verifyBody(fields, image);
  return faceFetch<T>(url, "/detectLivenessWithVerify-sessions", { method: "POST", headers: keyHeaders(apiKey, headers), body });
}

export interface SeenRequest {
  seq: number;
  at: number;
  requestId: string;
  operation: string;
  sessionId?: string;
}

/** What an emulator (in this process or another) saw: GET /emulator/requests. */
export async function emulatorRequests(url: string, apiKey: string): Promise<{ counts: Record<string, number>; requests: SeenRequest[] }> {
  const response = await fetch(`${url}/emulator/requests`, { headers: keyHeaders(apiKey) });
  if (response.status !== 200) throw new Error(`GET /emulator/requests answered ${response.status}`);
  return (await response.json()) as { counts: Record<string, number>; requests: SeenRequest[] };
}

/** The sessions an emulator still holds: GET /emulator/sessions. */
export async function emulatorSessions(url: string, apiKey: string): Promise<Array<{ sessionId: string; kind: string; status: string }>> {
  const response = await fetch(`${url}/emulator/sessions`, { headers: keyHeaders(apiKey) });
  if (response.status !== 200) throw new Error(`GET /emulator/sessions answered ${response.status}`);
  return ((await response.json()) as { sessions: Array<{ sessionId: string; kind: string; status: string }> }).sessions;
}
