/**
 * createLsoClient: the session API as a few typed methods over openapi-fetch, for your backend. Every method either
 * returns the success body or throws LsoApiError with the server's stable code; `api` is the raw openapi-fetch
 * client, typed from the same document, for anything the methods do not cover.
 */
import createClient, { type Client } from "openapi-fetch";
import { LsoApiError } from "./lso-errors.js";
import type { components, paths } from "./openapi-types.js";

type Schemas = components["schemas"];
export type Session = Schemas["Session"];
export type SessionCreated = Schemas["SessionCreated"];
export type SessionEvents = Schemas["SessionWebhookEvents"];
export type WebhookRedelivery = Schemas["WebhookRedelivery"];
export type AuditTrail = Schemas["AuditTrail"];
export type SessionList = Schemas["SessionList"];
/** Filters and paging of GET /v1/sessions: limit, cursor, subject, kind, outcome, createdFrom, createdTo. */
export type ListSessionsQuery = NonNullable<paths["/v1/sessions"]["get"]["parameters"]["query"]>;
/** Paging of GET /v1/sessions/{id}/events: limit and cursor. */
export type ListSessionEventsQuery = NonNullable<paths["/v1/sessions/{id}/events"]["get"]["parameters"]["query"]>;
export type CreateSessionRequest = NonNullable<paths["/v1/sessions"]["post"]["requestBody"]>["content"]["application/json"];
/** The fields of a liveness-with-verify create; the reference image goes beside them as a file part. */
export type CreateVerifySessionFields = Omit<Extract<CreateSessionRequest, { kind: "livenessWithVerify" }>, "verifyImage">;

export interface LsoClientOptions {
  /** The server's origin, e.g. http://127.0.0.1:3000 (no /v1). */
  baseUrl: string;
  /** Your caller key (API_KEYS); sent as x-api-key. Keep it on your backend: never ship it to a browser or device. */
  apiKey: string;
  /** Another fetch (a proxy agent, a test double); the global fetch by default. */
  fetch?: typeof fetch;
}

export interface CreateOptions {
  /** Makes the create safe to retry: the same key and parameters within 24 h get the original answer back. */
  idempotencyKey?: string;
}

export interface ReadOptions {
  /**
   * Long-poll: answer as soon as the view changes from the one you hold (the ETag given to getSessionIfChanged, else
   * the view as the wait begins: a new attempt, status or decision), or after this many seconds (0 to 30).
   */
  waitSeconds?: number;
}

export type ConditionalRead = { changed: true; session: Session; etag: string } | { changed: false; etag: string };

export interface LsoClient {
  /** POST /v1/sessions as JSON (a verify session's image as base64 in verifyImage). */
  createSession(request: CreateSessionRequest, options?: CreateOptions): Promise<SessionCreated>;
  /** POST /v1/sessions as multipart/form-data: a liveness-with-verify session with its reference image as a file. */
  createVerifySession(fields: CreateVerifySessionFields, verifyImage: Blob | Uint8Array, options?: CreateOptions): Promise<SessionCreated>;
  /** GET /v1/sessions: your sessions, newest first; pass nextCursor back as cursor, with the same filters. */
  listSessions(query?: ListSessionsQuery): Promise<SessionList>;
  /** GET /v1/sessions/{id}, optionally long-polling until the view changes. */
  getSession(id: string, options?: ReadOptions): Promise<Session>;
  /** GET /v1/sessions/{id} with If-None-Match: `changed: false` (304) while the view still has that ETag. */
  getSessionIfChanged(id: string, etag: string, options?: ReadOptions): Promise<ConditionalRead>;
  /** POST /v1/sessions/{id}/complete with the digest the device SDK gave your app; answers the decided view. */
  completeSession(id: string, clientDigest: string): Promise<Session>;
  /** DELETE /v1/sessions/{id}: at Face and on the server. */
  deleteSession(id: string): Promise<void>;
  /** GET /v1/sessions/{id}/image: the session image bytes (sessions created with enableSessionImage). */
  getSessionImage(id: string): Promise<Uint8Array>;
  /** GET /v1/sessions/{id}/events: the session's webhook deliveries and their attempts, oldest first; pass nextCursor back as cursor. */
  listSessionEvents(id: string, query?: ListSessionEventsQuery): Promise<SessionEvents>;
  /** POST /v1/sessions/{id}/events/redeliver: send the latest webhook event again. */
  redeliverWebhook(id: string): Promise<WebhookRedelivery>;
  /** GET /v1/sessions/{id}/audit: the session's audit trail, oldest first. */
  getSessionAudit(id: string): Promise<AuditTrail>;
  /** The openapi-fetch client underneath, with the API key already set. */
  readonly api: Client<paths>;
}

/** Success body, or LsoApiError: openapi-fetch answers `{ data }` or `{ error }` with the Response beside it. */
function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok) throw new LsoApiError(result.response, result.error);
  return result.data as T;
}

const toBlob = (image: Blob | Uint8Array) => (image instanceof Blob ? image : new Blob([image as Uint8Array<ArrayBuffer>]));

export function createLsoClient(options: LsoClientOptions): LsoClient {
  const api = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { "x-api-key": options.apiKey },
    ...(options.fetch && { fetch: options.fetch }),
  });
  const session = (id: string) => ({ path: { id } });
  const idempotency = (o?: CreateOptions) => (o?.idempotencyKey === undefined ? {} : { "idempotency-key": o.idempotencyKey });

  return {
    api,
    async createSession(request, createOptions) {
      return unwrap(await api.POST("/v1/sessions", { body: request, params: { header: idempotency(createOptions) } }));
    },
    async createVerifySession(fields, verifyImage, createOptions) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, String(value));
      form.append("verifyImage", toBlob(verifyImage), "reference");
      // The document types the multipart body field by field as strings; FormData carries them (and the file) as is.
      return unwrap(
        await api.POST("/v1/sessions", {
          body: fields as never,
          bodySerializer: () => form,
          params: { header: idempotency(createOptions) },
        }),
      );
    },
    async listSessions(query) {
      return unwrap(await api.GET("/v1/sessions", { params: { query: query ?? {} } }));
    },
    async getSession(id, readOptions) {
      return unwrap(await api.GET("/v1/sessions/{id}", { params: { ...session(id), query: { waitSeconds: readOptions?.waitSeconds } } }));
    },
    async getSessionIfChanged(id, etag, readOptions) {
      const result = await api.GET("/v1/sessions/{id}", {
        params: { ...session(id), query: { waitSeconds: readOptions?.waitSeconds }, header: { "if-none-match": etag } },
      });
      const current = result.response.headers.get("etag") ?? etag;
      if (result.response.status === 304) return { changed: false, etag: current };
      return { changed: true, session: unwrap(result), etag: current };
    },
    async completeSession(id, clientDigest) {
      return unwrap(await api.POST("/v1/sessions/{id}/complete", { params: session(id), body: { clientDigest } }));
    },
    async deleteSession(id) {
      unwrap(await api.DELETE("/v1/sessions/{id}", { params: session(id) }));
    },
    async getSessionImage(id) {
      return new Uint8Array(unwrap(await api.GET("/v1/sessions/{id}/image", { params: session(id), parseAs: "arrayBuffer" })));
    },
    async listSessionEvents(id, query) {
      return unwrap(await api.GET("/v1/sessions/{id}/events", { params: { ...session(id), query: query ?? {} } }));
    },
    async redeliverWebhook(id) {
      return unwrap(await api.POST("/v1/sessions/{id}/events/redeliver", { params: session(id) }));
    },
    async getSessionAudit(id) {
      return unwrap(await api.GET("/v1/sessions/{id}/audit", { params: session(id) }));
    },
  };
}
