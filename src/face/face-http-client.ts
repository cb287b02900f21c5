/**
 * The Face SDK's transport: an @azure/core-rest-pipeline HttpClient on undici, in place of the SDK's node:http one.
 * One keep-alive pool (an undici Agent) for every Face call, our own timeout and abort, and the bodies the Face
 * liveness paths carry: JSON strings, bytes, the multipart policy's stream factory (verify-with-image creates),
 * Blobs, web streams and FormData; replies as text, or as a Node stream for `.asNodeStream()` (session images).
 *
 * `dispatcher.request`, not `fetch`: on the create path fetch's WHATWG machinery cost more than the whole node:http
 * client it would replace. The dispatcher is a seam: tests of the Face cloud host hand in nock's (nock 15 intercepts
 * undici through the global dispatcher it installs, never through a private pool), so they run this transport
 * end to end but for the socket.
 */
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

import { createHttpHeaders, RestError, type HttpClient, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { Agent, type Dispatcher } from "undici";

export interface FaceHttpClientOptions {
  /** Where requests go; else a pool of our own, closed by close(). A dispatcher handed in is the caller's to close. */
  dispatcher?: Dispatcher;
  /** How long an idle keep-alive connection to Face stays open (Face's front door keeps them a few minutes). */
  keepAliveTimeoutMs?: number;
  /** Connections per origin: above the quota guard's concurrency, so the guard, not the pool, queues calls. */
  connections?: number;
}

export interface FaceHttpClient extends HttpClient {
  /** Ends the pool's connections (when the pool is ours); a call after close fails. */
  close(): Promise<void>;
}

/** undici's error codes, as the Node socket codes face-errors.ts maps to "Face unreachable". */
const UNDICI_CODES: Record<string, string> = {
  UND_ERR_SOCKET: "ECONNRESET",
  UND_ERR_CONNECT_TIMEOUT: "ETIMEDOUT",
  UND_ERR_HEADERS_TIMEOUT: "ETIMEDOUT",
  UND_ERR_BODY_TIMEOUT: "ETIMEDOUT",
  UND_ERR_CLOSED: "ECONNABORTED",
  UND_ERR_DESTROYED: "ECONNABORTED",
};

/** The name the SDK and face-call.ts know an abort by. */
class FaceAbortError extends Error {
  override name = "AbortError";
}

/** Only the code survives: an error's message may quote a reply, and the caller logs codes only. */
function transportError(err: unknown, request: PipelineRequest): Error {
  const { name, code } = (err ?? {}) as { name?: unknown; code?: unknown };
  if (name === "AbortError" || code === "UND_ERR_ABORTED") return new FaceAbortError("The Face call was aborted.");
  const mapped = typeof code === "string" ? (UNDICI_CODES[code] ?? code) : RestError.REQUEST_SEND_ERROR;
  return new RestError(`Face transport failed (${mapped})`, { code: mapped, request });
}

type UndiciBody = string | Uint8Array | Readable | null;
type PreparedBody = { body: UndiciBody; contentType?: string };

/**
 * The request body as undici takes it. The multipart policy leaves a function that returns a fresh Node stream. A
 * promise only for the bodies that must be read first (FormData, Blob): a create's JSON string costs no await.
 */
function bodyOf(request: PipelineRequest): PreparedBody | Promise<PreparedBody> {
  const body = typeof request.body === "function" ? request.body() : request.body;
  if (body === undefined || body === null) return { body: null };
  if (typeof body === "string" || body instanceof Uint8Array) return { body };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body) };
  if (ArrayBuffer.isView(body)) return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  if (body instanceof FormData) return encodedForm(body);
  if (body instanceof Blob) return body.arrayBuffer().then((bytes) => ({ body: new Uint8Array(bytes) }));
  if (body instanceof ReadableStream) return { body: Readable.fromWeb(body as NodeWebStream<Uint8Array>) };
  return { body: body as Readable };
}

/** The form-data policy turns FormData into a multipart body before it gets here; encoded as fetch would, to be safe. */
async function encodedForm(form: FormData): Promise<PreparedBody> {
  const encoded = new Response(form);
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType: encoded.headers.get("content-type") ?? undefined };
}

function headersOf(request: PipelineRequest, contentType: string | undefined): Record<string, string> {
  // Names as the policies set them, as iterating the headers gives them (toJSON's loop, not the iterator's generator).
  const headers = request.headers.toJSON({ preserveCase: true });
  if (contentType !== undefined) headers["content-type"] = contentType;
  return headers;
}

/**
 * The transport's own deadline, for a request that names a timeout (`request.timeout`): a signal of our own for
 * undici, aborted by the timer or by the caller's signal, and what ends both once the request is done with.
 */
function deadlineOf(timeoutMs: number, outer: PipelineRequest["abortSignal"]): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  outer?.addEventListener("abort", abort);
  const timer = setTimeout(abort, timeoutMs);
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", abort);
    },
  };
}

/** Face is not asked to compress (no decompression policy), but a reply that says it is compressed is decoded. */
function decoded(stream: Readable, encoding: string | undefined): Readable {
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return stream.pipe(createGunzip());
    case "deflate":
      return stream.pipe(createInflate());
    case "br":
      return stream.pipe(createBrotliDecompress());
    default:
      return stream;
  }
}

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function createFaceHttpClient(options: FaceHttpClientOptions = {}): FaceHttpClient {
  const owned = options.dispatcher
    ? undefined
    : new Agent({
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
        connections: options.connections ?? 128,
        // The deadlines are ours (the abort signal and request.timeout): undici's own would race them with other codes.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
  const dispatcher: Dispatcher = options.dispatcher ?? owned!;
  /*
   * The last URL parsed: every create sends to the same one, so a create skips the WHATWG parse. One entry only, so a
   * read's per-session URL costs what it did (a parse) and nothing is kept that grows.
   */
  let last: { href: string; protocol: string; origin: string; path: string } | undefined;
  const parsed = (href: string) => {
    if (last?.href === href) return last;
    const url = new URL(href);
    last = { href, protocol: url.protocol, origin: url.origin, path: `${url.pathname}${url.search}` };
    return last;
  };

  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = parsed(request.url);
      if (url.protocol !== "https:" && !request.allowInsecureConnection) {
        throw new RestError(`Cannot connect to ${url.origin} while allowInsecureConnection is false.`, { code: RestError.REQUEST_SEND_ERROR, request });
      }
      const outer = request.abortSignal;
      if (outer?.aborted) throw new FaceAbortError("The Face call was aborted before it was sent.");
      // A deadline of our own only when the request names a timeout: the caller's signal (face-call.ts's deadline)
      // goes straight to undici otherwise, one AbortController and listener fewer per call. undici takes any signal
      // with addEventListener, as the pipeline's AbortSignalLike is; its type names only the native one.
      const deadline = request.timeout > 0 ? deadlineOf(request.timeout, outer) : undefined;
      const signal = (deadline ? deadline.signal : outer) as AbortSignal | undefined;
      let streaming = false;
      try {
        const prepared = bodyOf(request);
        const { body, contentType } = prepared instanceof Promise ? await prepared : prepared;
        const options: Dispatcher.RequestOptions = {
          origin: url.origin,
          path: url.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: headersOf(request, contentType),
          body,
        };
        if (signal) options.signal = signal;
        let res: Dispatcher.ResponseData;
        try {
          res = await dispatcher.request(options);
        } catch (err) {
          throw transportError(err, request);
        }
        const headers = createHttpHeaders();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
        }
        const response: PipelineResponse = { request, status: res.statusCode, headers };
        if (request.method === "HEAD") {
          await res.body.dump();
          return response;
        }
        const stream = decoded(res.body, headers.get("content-encoding"));
        const codes = request.streamResponseStatusCodes;
        if (codes?.has(Number.POSITIVE_INFINITY) || codes?.has(res.statusCode)) {
          // The caller drains it inside its own deadline: the abort and the timer stay armed until the stream ends.
          streaming = true;
          if (deadline) stream.once("close", deadline.release);
          response.readableStreamBody = stream;
          return response;
        }
        try {
          response.bodyAsText = stream === res.body ? await res.body.text() : await readText(stream);
        } catch (err) {
          throw transportError(err, request);
        }
        return response;
      } finally {
        if (!streaming) deadline?.release();
      }
    },
    close: async () => {
      if (!owned || owned.closed || owned.destroyed) return;
      await owned.close();
    },
  };
}
