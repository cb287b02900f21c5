import createClient, { type FaceClient } from "@azure-rest/ai-vision-face";
import type { KeyCredential, TokenCredential } from "@azure/core-auth";
import type { FastifyBaseLogger } from "fastify";
import type { Dispatcher } from "undici";

import { isLoopbackHost } from "../lib/loopback-host.js";
import { systemClock, type Clock } from "../lib/clock.js";
import { decodeErrorBody, runFaceCall, type FaceCallDeps, type RawFaceResponse } from "./face-call.js";
import type { FaceGateway, FaceSession, SessionKind } from "./face-gateway.js";
import { createFaceHttpClient, type FaceHttpClient } from "./face-http-client.js";
import { FaceSchemaMismatch, toFaceSession } from "./face-normalise.js";
import { livenessSessionBody, livenessWithVerifySessionParts } from "./face-requests.js";

export interface FaceGatewayOptions {
  /** e.g. https://<resource>.cognitiveservices.azure.com; the SDK appends `/face/{apiVersion}`. */
  endpoint: string;
  apiVersion: "v1.2";
  credential: KeyCredential | TokenCredential;
  /** Deadline of one Face call, response body included. */
  timeoutMs: number;
  logger: FastifyBaseLogger;
  /** For `Retry-After` HTTP-dates; defaults to the system clock. */
  clock?: Clock;
  /**
   * Where the transport sends (an undici dispatcher); else a keep-alive pool of its own, which `close()` ends. Tests
   * of the Face cloud host pass nock's global dispatcher here.
   */
  dispatcher?: Dispatcher;
}

/** The gateway, and the end of its connection pool for whoever owns the app's lifecycle. */
export interface ClosableFaceGateway extends FaceGateway {
  close(): Promise<void>;
}

/**
 * Pipeline policies Face calls do not need; auth, the user agent, the client request id and the multipart and
 * form-data encoders stay. Face answers from its own host (no redirect to follow), no tracer is registered, our own
 * log lines (face-call.ts) replace the SDK's, Face is not asked to compress (the transport still decodes a reply that
 * says it is compressed), and the proxy policy only sets a node:http agent, which the undici transport has no use for.
 * The abort-signal policy wraps any signal that is not a native AbortSignal in a native one; a call's signal is our
 * own (face-abort-signal.ts), and every layer below it (the bearer-token policy, the transport) takes it as it is.
 */
const LEAN_PIPELINE_DROPS = [
  "tracingPolicy",
  "redirectPolicy",
  "logPolicy",
  "decompressResponsePolicy",
  "proxyPolicy",
  "wrapAbortSignalLikePolicy",
] as const;

/** A session id Face cannot have issued: asking for it proves reachability and credentials without side effects. */
const PROBE_SESSION_ID = "00000000-0000-0000-0000-000000000000";

/** Accept 204 (the v1.2 spec) and 200 (v1.1, and older v1.2 examples): both mean Face deleted the session. */
const DELETE_OK = [204, 200] as const;

/**
 * Face's binary reply arrives as a Node stream (see getSessionImage); drain it into a fresh Uint8Array.
 * A copy rather than Buffer.concat's result, whose small allocations share Node's buffer pool.
 */
async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function buildClient(options: FaceGatewayOptions, httpClient: FaceHttpClient): FaceClient {
  const endpoint = options.endpoint.replace(/\/+$/, ""); // the SDK concatenates, so a trailing "/" gives "//face"
  const { protocol, hostname } = new URL(endpoint);
  const client = createClient(endpoint, options.credential, {
    apiVersion: options.apiVersion,
    httpClient,
    // Plain http only for a loopback emulator, the same rule config.ts enforces for FACE_ENDPOINT.
    allowInsecureConnection: protocol === "http:" && isLoopbackHost(hostname),
    /*
     * No SDK retries, for any call. The default policy retries 5xx/408/429 and network errors up to 3 times, and a
     * repeated create POST leaves orphan sessions (each with a live authToken) at Face that nobody deletes.
     * GET and DELETE are idempotent and could be retried, but that belongs to the upstream guard that will wrap this
     * gateway (token bucket + Retry-After + circuit breaker), which can see the whole picture; retries hidden in
     * the SDK would also blow through `timeoutMs` and multiply load on a Face that is already saying 429.
     */
    retryOptions: { maxRetries: 0 },
  });
  // Belt and braces: drop the whole Retry phase, so a future SDK default cannot bring retries back.
  client.pipeline.removePolicy({ phase: "Retry" });
  for (const name of LEAN_PIPELINE_DROPS) client.pipeline.removePolicy({ name });
  return client;
}

export function createFaceGateway(options: FaceGatewayOptions): ClosableFaceGateway {
  const transport = createFaceHttpClient(options.dispatcher ? { dispatcher: options.dispatcher } : {});
  const client = buildClient(options, transport);
  const deps: FaceCallDeps = {
    logger: options.logger,
    timeoutMs: options.timeoutMs,
    clock: options.clock ?? systemClock,
    baseUrl: `${options.endpoint.replace(/\/+$/, "")}/face/${options.apiVersion}`,
  };
  // Each kind's parser made once, not a closure per call.
  const parsers: Record<SessionKind, (body: unknown) => FaceSession> = {
    liveness: (body) => toFaceSession("liveness", body),
    livenessWithVerify: (body) => toFaceSession("livenessWithVerify", body),
  };
  /*
   * The creates' URLs never change, so each is resolved once, as the SDK would resolve it, and handed to the SDK
   * whole: it sends to an absolute URL as it is, where a route costs every call its template filled in, its query
   * merged and a WHATWG parse and print.
   */
  const createResource = (route: string) => client.pathUnchecked(new URL(`${deps.baseUrl}${route}`).toString());
  const livenessSessions = createResource("/detectLiveness-sessions");
  const livenessWithVerifySessions = createResource("/detectLivenessWithVerify-sessions");

  const sessionRoute = (kind: SessionKind) =>
    kind === "liveness" ? "/detectLiveness-sessions/{sessionId}" : "/detectLivenessWithVerify-sessions/{sessionId}";
  const sessionPath = (kind: SessionKind, sessionId: string) =>
    kind === "liveness"
      ? client.path("/detectLiveness-sessions/{sessionId}", sessionId)
      : client.path("/detectLivenessWithVerify-sessions/{sessionId}", sessionId);

  return {
    close: () => transport.close(),

    createLivenessSession: (params, ctx) =>
      runFaceCall<FaceSession>(deps, ctx, {
        operation: "createLivenessSession",
        resource: "sessions",
        route: "/detectLiveness-sessions",
        okStatuses: [200],
        send: (abortSignal) => livenessSessions.post({ body: livenessSessionBody(params), abortSignal }),
        parse: parsers.liveness,
      }),

    createLivenessWithVerifySession: (params, ctx) =>
      runFaceCall<FaceSession>(deps, ctx, {
        operation: "createLivenessWithVerifySession",
        resource: "sessions",
        route: "/detectLivenessWithVerify-sessions",
        okStatuses: [200],
        send: (abortSignal) =>
          livenessWithVerifySessions.post({
            contentType: "multipart/form-data",
            body: livenessWithVerifySessionParts(params),
            abortSignal,
          }),
        parse: parsers.livenessWithVerify,
      }),

    getSession: (kind, sessionId, ctx) =>
      runFaceCall<FaceSession>(deps, ctx, {
        operation: kind === "liveness" ? "getLivenessSession" : "getLivenessWithVerifySession",
        resource: "session",
        route: sessionRoute(kind),
        okStatuses: [200],
        send: (abortSignal) => sessionPath(kind, sessionId).get({ abortSignal }),
        parse: parsers[kind],
      }),

    deleteSession: (kind, sessionId, ctx) =>
      runFaceCall<void>(deps, ctx, {
        operation: kind === "liveness" ? "deleteLivenessSession" : "deleteLivenessWithVerifySession",
        resource: "session",
        route: sessionRoute(kind),
        okStatuses: DELETE_OK,
        send: (abortSignal) => sessionPath(kind, sessionId).delete({ abortSignal }),
        parse: () => undefined,
      }),

    getSessionImage: (sessionImageId, ctx) =>
      runFaceCall<Uint8Array>(deps, ctx, {
        operation: "getSessionImage",
        resource: "sessionImage",
        route: "/sessionImages/{sessionImageId}",
        okStatuses: [200],
        /*
         * `.asNodeStream()`, not a plain `.get()`: without it the SDK decodes every body as UTF-8 text (its
         * `Uint8Array` typing notwithstanding), which corrupts image bytes. The stream is drained inside the timeout.
         */
        send: async (abortSignal): Promise<RawFaceResponse> => {
          const res = await client.path("/sessionImages/{sessionImageId}", sessionImageId).get({ abortSignal }).asNodeStream();
          return { status: res.status, headers: res.headers, body: res.body ? await readAll(res.body) : new Uint8Array() };
        },
        parse: (body) => {
          if (!(body instanceof Uint8Array) || body.length === 0) throw new FaceSchemaMismatch(["(image bytes)"]);
          return body;
        },
      }),

    probe: async () => {
      await runFaceCall<void>(deps, undefined, {
        operation: "probe",
        resource: "session",
        route: "/detectLiveness-sessions/{sessionId}",
        okStatuses: [404],
        send: (abortSignal) => client.path("/detectLiveness-sessions/{sessionId}", PROBE_SESSION_ID).get({ abortSignal }),
        // Only Face's own "SessionNotFound" proves we reached Face with a working key; a 404 from some other host
        // or a wrong path (e.g. a bad FACE_ENDPOINT) must not pass as healthy.
        parse: (body, headers) => {
          const code = decodeErrorBody(body).code ?? headers["x-ms-error-code"];
          if (code !== "SessionNotFound") throw new FaceSchemaMismatch(["error.code (expected SessionNotFound)"]);
        },
      });
    },
  };
}
