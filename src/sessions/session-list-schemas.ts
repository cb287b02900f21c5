/**
 * GET /v1/sessions: the query (strict, so a misspelt filter is a 400 rather than a silently unfiltered list) and the
 * page it answers. A summary carries what a list needs to pick a session; the full view is GET /v1/sessions/{id}.
 */
import { z } from "zod";
import { MAX_CURSOR_CHARS } from "../lib/list-cursor.js";
import { decisionOutcomeSchema } from "./decision/decision-schemas.js";
import { attemptStatusSchema, sessionIdSchema, sessionKindSchema } from "./session-schemas.js";

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone, e.g. 2026-05-01T00:00:00Z" })
    .optional()
    .describe(what);

export const sessionListQuerySchema = z
  .strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_LIST_LIMIT)
      .default(DEFAULT_LIST_LIMIT)
      .describe(`Page size, 1 to ${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT}).`),
    cursor: z
      .string()
      .min(1)
      .max(MAX_CURSOR_CHARS)
      .optional()
      .describe("nextCursor from the previous page, with the same filters. Opaque: do not build or change it."),
    subject: z.string().min(1).max(128).optional().describe("Only sessions created with this subject."),
    kind: sessionKindSchema.optional().describe("Only sessions of this kind."),
    outcome: decisionOutcomeSchema.optional().describe("Only sessions whose decision currently has this outcome."),
    createdFrom: instant("Only sessions created at or after this instant."),
    createdTo: instant("Only sessions created before this instant."),
  })
  .refine((q) => q.createdFrom === undefined || q.createdTo === undefined || Date.parse(q.createdFrom) < Date.parse(q.createdTo), {
    message: "must be later than createdFrom",
    path: ["createdTo"],
  });

export type SessionListQueryInput = z.infer<typeof sessionListQuerySchema>;

export const sessionSummarySchema = z
  .object({
    id: sessionIdSchema,
    kind: sessionKindSchema,
    status: attemptStatusSchema.describe("As last read from Face (checkedAt); listing never calls Face."),
    subject: z.string().optional(),
    deviceCorrelationId: z.string().optional(),
    createdAt: z.iso.datetime(),
    authTokenExpiresAt: z.iso.datetime(),
    checkedAt: z.iso.datetime(),
    attemptCount: z.number().int().min(0),
    outcome: decisionOutcomeSchema,
    decidedAt: z.iso.datetime().nullable().describe("When the outcome settled; null while it may still change."),
  })
  .meta({ id: "SessionSummary" });

export const sessionListSchema = z
  .object({
    items: z.array(sessionSummarySchema).describe("Newest first."),
    nextCursor: z
      .string()
      .nullable()
      .describe("Pass as cursor for the next page; null at the end. A page may hold fewer than limit items and still have a next one."),
  })
  .meta({ id: "SessionList" });

export type SessionSummary = z.infer<typeof sessionSummarySchema>;
export type SessionList = z.infer<typeof sessionListSchema>;
