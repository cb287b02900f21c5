/**
 * Idempotent create (issue 5 §4): a retried POST /v1/sessions with the same Idempotency-Key and the same parameters
 * gets the original 201 back, auth token included, instead of a second session at Face.
 *
 * - Keys are scoped per client: the same key from two clients names two different requests.
 * - "The same parameters" is a SHA-256 of the validated input (defaults applied, verify image replaced by its own
 *   SHA-256, keys sorted), so JSON and multipart encodings of one request match, and the store never holds the image.
 * - Concurrent duplicates wait for the first request by polling the store, then replay its response; they never
 *   create a second session.
 * - A failed first request releases the key, and nothing of the failure is kept: a duplicate that was waiting then
 *   becomes the first attempt itself, as a retry sent a moment later would. A failure is often transient (a 503),
 *   so a fresh attempt serves a waiting client better than replaying an error it would only retry; and since only
 *   the key's holder calls Face, there is still at most one session per key.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import { AppError } from "../errors.js";
import type { IdempotencyStore } from "./session-idempotency-store.js";
import type { CreateSessionInput } from "./session-input.js";
import type { SessionCreated } from "./session-schemas.js";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const IDEMPOTENT_REPLAYED_HEADER = "idempotent-replayed";

/** How long a completed create can be replayed. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Visible ASCII only. A header sent twice reaches us joined as "a, b" (Node and light-my-request both join unknown
 * headers with ", "), and the space makes that invalid too, so a repeated key is refused by the same rule.
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, "must be 1 to 255 visible ASCII characters, sent once")
  .describe(
    "Makes the create safe to retry: the same key with the same parameters within 24 hours returns the original 201 " +
      "(auth token included, with Idempotent-Replayed: true) and creates nothing; with different parameters, 422.",
  );

/** Loose: the other headers must stay on the request (fastify replaces request.headers with the parsed value). */
export const createSessionHeadersSchema = z.looseObject({ [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional() });

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** The input is flat (primitives only), so sorting its top-level keys is a complete canonical form. */
export function createFingerprint(input: CreateSessionInput): string {
  const { verifyImage, ...rest } = input;
  const params: Record<string, unknown> = verifyImage ? { ...rest, verifyImageSha256: sha256(verifyImage) } : rest;
  const sorted = Object.keys(params)
    .filter((k) => params[k] !== undefined)
    .sort()
    .map((k) => [k, params[k]]);
  return sha256(JSON.stringify(sorted));
}

/**
 * How long a first request may hold its key: longer than any create can take, so a duplicate never starts a second
 * one while the first still runs. A create may wait for a quota turn and be sent twice (once more after a
 * key-rotation 401); the 30 s cover the Key Vault re-read, image checks and the store write. If the holder dies
 * (another instance, with a shared store), the lease is what frees the key.
 */
export function createLeaseMs(face: { timeoutMs: number; guard: { maxWaitMs: number } }): number {
  return 2 * (face.timeoutMs + face.guard.maxWaitMs) + 30_000;
}

export interface IdempotentResult {
  created: SessionCreated;
  replayed: boolean;
}

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

export class IdempotentCreates {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly leaseMs: number,
  ) {}

  async run(clientId: string, key: string, input: CreateSessionInput, log: FastifyBaseLogger, create: () => Promise<SessionCreated>): Promise<IdempotentResult> {
    // A clientId has no ':' (api-key-list.ts), so the scope is unambiguous.
    const scoped = `${clientId}:${key}`;
    const fingerprint = createFingerprint(input);
    // Real time, not the injected Clock: this bounds how long a request is held, even under a frozen test clock.
    const deadline = Date.now() + this.leaseMs + MAX_POLL_MS;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
      const claim = await this.store.claim(scoped, fingerprint, this.leaseMs);
      if (claim.claimed) return { created: await this.first(scoped, claim.token, log, create), replayed: false };
      const { entry } = claim;
      if (entry.fingerprint !== fingerprint) throw new AppError("LSO_ERR_IDEMPOTENCY_MISMATCH");
      if (entry.state === "completed") {
        log.info({ sessionId: entry.response.body.id }, "idempotent create replayed");
        return { created: entry.response.body, replayed: true };
      }
      if (Date.now() >= deadline) {
        throw new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { message: "A request with this Idempotency-Key is still in progress; retry later.", retryAfterSeconds: 1 });
      }
      await sleep(pollMs);
    }
  }

  private async first(key: string, token: string, log: FastifyBaseLogger, create: () => Promise<SessionCreated>): Promise<SessionCreated> {
    let created: SessionCreated;
    try {
      created = await create();
    } catch (error) {
      await this.store.release(key, token).catch((releaseError: unknown) => log.error({ err: releaseError }, "could not release an idempotency key"));
      throw error;
    }
    // The session exists and is remembered: a store failure here costs only the replay, so the caller still gets it.
    const stored = await this.store
      .complete(key, token, { status: 201, body: created }, IDEMPOTENCY_RETENTION_MS)
      .catch((error: unknown) => (log.error({ err: error }, "could not store an idempotent response"), false));
    if (!stored) log.warn({ sessionId: created.id }, "idempotent response not kept; a retry with this key would create another session");
    return created;
  }
}
