/**
 * The /v1/sessions routes. Thin on purpose: zod (or session-input for the create body) has validated the input,
 * the service does the work, the handler replies.
 */
import type { FastifyReply } from "fastify";
import { serializerCompiler, type FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../errors.js";
import { authErrors, stateErrors, bodyErrors, errorResponses, upstreamErrors } from "../plugins/error-envelope.js";
import { detectImageFormat, imageMimeTypes } from "../lib/image-format.js";
import { createSessionHeadersSchema, IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from "../idempotency/idempotency-headers.js";
import { readJsonInput, readMultipartInput } from "./session-input.js";
import { createSessionOpenApiBody } from "./session-openapi.js";
import { etagOf, matchesEtag, readSessionHeadersSchema } from "./session-http.js";
import { completeSessionBodySchema, encodeSessionCreated, sessionCreatedSchema, sessionParamsSchema, sessionQuerySchema, sessionViewSchema } from "./session-schemas.js";
import { sessionListQuerySchema, sessionListSchema } from "./session-list-schemas.js";
import type { SessionView } from "./session-schemas.js";
import type { SessionService } from "./session-service.js";

/** A base64 verify image of 6 MB is about 8 MiB of JSON. */
const CREATE_BODY_LIMIT_BYTES = 9 * 1024 * 1024;

/** What Fastify sends for a serialized object; a string body needs it said explicitly. */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The route's own serializer (its response schema's allow-list) encodes the view, so bytes served from the settled
 * cache are the bytes the route would send; the ETag stays the hash of the view itself, as it always was.
 */
const encoderFor = (reply: FastifyReply) => (view: SessionView) => ({ body: reply.serialize(view) as string, etag: etagOf(view) });

export interface SessionRoutesOptions {
  service: SessionService;
}

/** OpenAPI metadata shared by every session route: its tag, and the x-api-key requirement. */
const docs = { tags: ["sessions"], security: [{ apiKey: [] }] };

export const sessionRoutes: FastifyPluginAsyncZod<SessionRoutesOptions> = async (app, { service }) => {
  app.post(
    "/sessions",
    {
      bodyLimit: CREATE_BODY_LIMIT_BYTES,
      // bodyLimit covers JSON only: @fastify/multipart reads the raw stream. A declared length over the limit is
      // refused before a byte is read; a chunked multipart body is still bounded by its per-part limits. An async
      // hook on purpose: as a callback hook, a body with a broken chunk size got 415 (no Content-Type) before Node's
      // parser refused it with 400 (test/plugins/http-protocol-errors.test.ts).
      onRequest: async (request) => {
        const declared = Number(request.headers["content-length"]);
        if (declared > CREATE_BODY_LIMIT_BYTES) throw new AppError("LSO_ERR_BODY_TOO_LARGE");
      },
      // The 201 written out by hand (session-schemas.ts), with the schema's encoder behind it; errors as every route.
      serializerCompiler: (route) => {
        // The route's schema at this point is the status's response schema (a zod type), as the app's compiler gets it.
        const bySchema = serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]);
        return route.httpStatus === "201" ? (data: unknown) => encodeSessionCreated(data) ?? bySchema(data) : bySchema;
      },
      schema: {
        ...docs,
        operationId: "createSession",
        summary: "Create a liveness or liveness-with-verify session",
        description:
          "Creates the session at Azure AI Face and returns the auth token for the device SDK. " +
          "Send JSON (verifyImage as base64) or multipart/form-data (verifyImage as a file part). " +
          "With an Idempotency-Key, a retry with the same parameters within 24 hours answers the original 201 with the header " +
          "Idempotent-Replayed: true, and a retry with different parameters answers 422 LSO_ERR_IDEMPOTENCY_MISMATCH. " +
          "A subject or device with too many declined or spoof outcomes gets 429 LSO_ERR_LOCKED_OUT with Retry-After. " +
          "A client holding its most live (unsettled, token not lapsed) sessions (SESSION_MAX_LIVE_PER_CLIENT, or its policy's maxLiveSessions) " +
          "gets 429 LSO_ERR_TOO_MANY_LIVE_SESSIONS with Retry-After, before Face is called.",
        headers: createSessionHeadersSchema,
        openapiRequestBody: createSessionOpenApiBody,
        response: {
          201: sessionCreatedSchema,
          ...errorResponses([
            ...authErrors, ...stateErrors,
            ...bodyErrors,
            "LSO_ERR_FORBIDDEN",
            "LSO_ERR_IMAGE_TOO_SMALL",
            "LSO_ERR_IMAGE_TOO_LARGE",
            "LSO_ERR_IMAGE_FORMAT",
            "LSO_ERR_FACE_INVALID_IMAGE",
            "LSO_ERR_WEBHOOKS_DISABLED",
            "LSO_ERR_IDEMPOTENCY_MISMATCH",
            "LSO_ERR_LOCKED_OUT",
            "LSO_ERR_TOO_MANY_LIVE_SESSIONS",
            ...upstreamErrors,
          ]),
        },
        responseHeaders: { 201: ["Idempotent-Replayed"] },
      },
    },
    async (request, reply) => {
      const input = request.isMultipart() ? await readMultipartInput(request) : readJsonInput(request.body);
      const { created, replayed } = await service.create(input, {
        clientId: request.clientId,
        log: request.log,
        policy: request.callerPolicy,
        idempotencyKey: request.headers[IDEMPOTENCY_KEY_HEADER],
      });
      if (replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, "true");
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/sessions",
    {
      schema: {
        ...docs,
        operationId: "listSessions",
        summary: "List your sessions, newest first",
        description:
          "Only the calling client's sessions. Cursor pagination: pass nextCursor back as cursor, with the same filters, until it is null. " +
          "Served from what this service holds (never calls Face); status and outcome are as of checkedAt. A page inspects at most " +
          "1000 sessions, so with kind or outcome filters it may hold fewer than limit items and still have a nextCursor.",
        querystring: sessionListQuerySchema,
        response: { 200: sessionListSchema, ...errorResponses([...authErrors]) },
      },
    },
    async (request) => service.list({ clientId: request.clientId, log: request.log }, request.query),
  );

  app.get(
    "/sessions/:id",
    {
      schema: {
        ...docs,
        operationId: "getSession",
        summary: "Read a session's status and decision",
        description:
          "Answers with an ETag; send it back in If-None-Match to get 304 while nothing changed. With waitSeconds (long-poll), " +
          "answers as soon as the view changes from the one you hold (the one your If-None-Match names, else the view as the " +
          "wait began): a new attempt, a new status, a new decision outcome or reason, a settled decision. Otherwise it answers " +
          "after that many seconds, with 304 when you sent the ETag of the view as it still is. checkedAt alone moving is not " +
          "a change. With clientDigest, the same as POST /v1/sessions/{id}/complete (prefer that: a query string is more often " +
          "logged by proxies).",
        params: sessionParamsSchema,
        querystring: sessionQuerySchema,
        headers: readSessionHeadersSchema,
        response: {
          200: sessionViewSchema,
          304: z.undefined().describe("Not modified: the view still has the ETag you sent."),
          ...errorResponses([...authErrors, ...stateErrors, "LSO_ERR_SESSION_NOT_FOUND", "LSO_ERR_SESSION_SETTLED", ...upstreamErrors]),
        },
        responseHeaders: { 200: ["ETag"], 304: ["ETag"] },
      },
    },
    async (request, reply) => {
      const { clientDigest, waitSeconds } = request.query;
      const caller = { clientId: request.clientId, log: request.log };
      const ifNoneMatch = request.headers["if-none-match"];
      const { body, etag } = await service.readEncoded(request.params.id, caller, { clientDigest, waitMs: waitSeconds * 1000, ifNoneMatch }, encoderFor(reply));
      reply.header("etag", etag);
      if (matchesEtag(ifNoneMatch, etag)) return reply.code(304).send();
      return reply.type(JSON_TYPE).send(body as unknown as SessionView); // already encoded: sent as is
    },
  );

  app.post(
    "/sessions/:id/complete",
    {
      schema: {
        ...docs,
        operationId: "completeSession",
        summary: "Pass the device's digest and read the decision",
        description:
          "Send the digest the device SDK gave your app. A real face is approved only when it equals Face's digest of the " +
          "same attempt; a mismatch declines the session. On a settled session, the same digest answers the settled view " +
          "again and any other digest 409 LSO_ERR_SESSION_SETTLED.",
        params: sessionParamsSchema,
        body: completeSessionBodySchema,
        response: {
          200: sessionViewSchema,
          ...errorResponses([...authErrors, ...stateErrors, ...bodyErrors, "LSO_ERR_SESSION_NOT_FOUND", "LSO_ERR_SESSION_SETTLED", ...upstreamErrors]),
        },
      },
    },
    async (request, reply) => {
      const caller = { clientId: request.clientId, log: request.log };
      const { body } = await service.readEncoded(request.params.id, caller, { clientDigest: request.body.clientDigest }, encoderFor(reply));
      return reply.type(JSON_TYPE).send(body as unknown as SessionView); // already encoded: sent as is
    },
  );

  app.delete(
    "/sessions/:id",
    {
      schema: {
        ...docs,
        operationId: "deleteSession",
        summary: "Delete a session at Face and here",
        params: sessionParamsSchema,
        response: {
          204: z.undefined().describe("Deleted; a later GET answers 404."),
          ...errorResponses([...authErrors, ...stateErrors, ...bodyErrors, "LSO_ERR_SESSION_NOT_FOUND", ...upstreamErrors]),
        },
      },
    },
    async (request, reply) => {
      await service.delete(request.params.id, { clientId: request.clientId, log: request.log });
      return reply.code(204).send();
    },
  );

  app.get(
    "/sessions/:id/image",
    {
      schema: {
        ...docs,
        operationId: "getSessionImage",
        summary: "Download the session image",
        description: "Available only when the session was created with enableSessionImage and an attempt produced an image.",
        params: sessionParamsSchema,
        response: {
          200: {
            description: "The image bytes.",
            content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
          },
          ...errorResponses([...authErrors, ...stateErrors, "LSO_ERR_SESSION_NOT_FOUND", "LSO_ERR_SESSION_IMAGE_NOT_FOUND", "LSO_ERR_SESSION_IMAGE_NOT_RETAINED", ...upstreamErrors]),
        },
      },
    },
    async (request, reply) => {
      const bytes = await service.image(request.params.id, { clientId: request.clientId, log: request.log });
      const format = detectImageFormat(bytes);
      // Fastify sends a Buffer as is, bypassing the serializer; the schema above only documents it.
      return reply.type(format ? imageMimeTypes[format] : "application/octet-stream").send(Buffer.from(bytes) as unknown as string);
    },
  );
};
