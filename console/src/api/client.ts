/**
 * The console's one way to the API: same origin, the caller's key in x-api-key, and every failure turned into an
 * ApiError carrying the envelope's code and message, so no screen ever has to guess what went wrong.
 *
 * Not the typed client (clients/typescript/src/lso-client.ts), though vite could bundle it: that one is made for a
 * backend holding one key, while the console swaps keys at sign-in, aborts reads when a page is left, calls its
 * own /console/api routes that the API document leaves out, and tells a network failure from an HTTP one. Only
 * the generated types are shared, so the two cannot drift apart on shapes.
 */
// The typed client's generated types (clients/typescript), the one thing the console shares with the repo.
import type { components } from "../../../clients/typescript/src/openapi-types.js";

type Schemas = components["schemas"];
export type Session = Schemas["Session"];
export type SessionSummary = Schemas["SessionSummary"];
export type SessionList = Schemas["SessionList"];
export type SessionCreated = Schemas["SessionCreated"];
export type Attempt = Schemas["Attempt"];
export type Decision = Schemas["Decision"];
export type AuditTrail = Schemas["AuditTrail"];
export type AuditEntry = AuditTrail["entries"][number];
export type WebhookEvents = Schemas["SessionWebhookEvents"];
export type WebhookDelivery = Schemas["WebhookDelivery"];
export type ErrorEnvelope = Schemas["ErrorEnvelope"];
export type Outcome = Decision["outcome"];
export type SessionKind = Session["kind"];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly fields: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const KEY_STORAGE = "lso.console.apiKey";

/** The key lives in sessionStorage only: gone when the tab closes, never in localStorage or a cookie. */
export const apiKeyStore = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

function isEnvelope(body: unknown): body is ErrorEnvelope {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === "string" && typeof error.message === "string";
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Send with this key instead of the stored one (signing in). */
  apiKey?: string;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.apiKey ?? apiKeyStore.get();
  if (key) headers["x-api-key"] = key;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? "GET", headers, body, signal: options.signal, cache: "no-store" });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK", "The server could not be reached. Is it running?");
  }
  if (response.ok || response.status === 304) return response;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isEnvelope(parsed)) {
    const { code, message, requestId, fields } = parsed.error;
    throw new ApiError(response.status, code, message, requestId, fields ?? []);
  }
  throw new ApiError(response.status, `HTTP_${response.status}`, `The server answered ${response.status} ${response.statusText}.`);
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** GET with an ETag: null when the server says nothing changed (304). */
export async function getIfChanged<T>(path: string, etag: string | undefined, signal: AbortSignal): Promise<{ body: T; etag: string | undefined } | null> {
  const response = await send(path, { signal, headers: etag ? { "if-none-match": etag } : {} });
  if (response.status === 304) return null;
  return { body: (await response.json()) as T, etag: response.headers.get("etag") ?? undefined };
}

export async function getBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  return (await send(path, signal ? { signal } : {})).blob();
}

export interface ConsoleSettings {
  deviceSimulator: boolean;
  devApiKey?: string;
}

export interface DeviceReply {
  attemptId?: number;
  digest?: string;
  status?: string;
}

export type DeviceAction =
  | { type: "start" }
  | { type: "result"; livenessDecision: "realface" | "spoofface" | "uncertain" }
  | { type: "error"; errorCode: string };
