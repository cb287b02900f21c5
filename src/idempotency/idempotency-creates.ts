/**
 * Idempotent create: a retried POST /v1/sessions with the same Idempotency-Key and the same parameters gets the
 * original 201 back, auth token included, instead of a second session at Face.
 *
 * - Keys are scoped per client: the same key from two clients names two different requests.
 * - "The same parameters" is a SHA-256 of the validated input (defaults applied, binary values such as the verify
 *   image replaced by their own SHA-256, keys sorted), so JSON and multipart encodings of one request match, and
 *   the store never holds the image.
 * - Concurrent duplicates wait for the first request by polling the store, then replay its response; they never
 *   create a second session.
 * - Once the session is deleted (DELETE /v1/sessions/{id}, or erased with its subject), the stored response is
 *   dropped and the key answers 404 for the rest of its retention: a retry must not replay a deleted session's auth
 *   token, nor create a new session under the old key. Both paths go through forgetCreatedSession.
 * - A failed first request releases the key, and nothing of the failure is kept: a duplicate that was waiting then
 *   becomes the first attempt itself, as a retry sent a moment later would. A failure is often transient (a 503),
 *   so a fresh attempt serves a waiting client better than replaying an error it would only retry; and since only
 *   the key's holder calls Face, there is still at most one session per key.
 *
 * Knows nothing of sessions: the caller passes the create, and a parser for the stored response (a replay is
 * data read back from a shared store, so it crosses a boundary and is parsed like any other input).
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import type { IdempotencyStore } from "../state/idempotency-store.js";

/** How long a completed create can be replayed. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * The input is flat (primitives and binary values), so sorting its top-level keys is a complete canonical form. A
 * binary value `x` counts as `xSha256`, its digest: the fingerprint stays small and holds no image.
 */
export function createFingerprint(input: object): string {
  const params: Array<[string, unknown]> = Object.entries(input as Record<string, unknown>)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => (value instanceof Uint8Array ? [`${key}Sha256`, sha256(value)] : [key, value]));
  return sha256(JSON.stringify(params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
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

export interface IdempotentResult<T> {
  created: T;
  replayed: boolean;
}

/** Reads a stored response back (a zod schema fits); the id names the replayed session in logs. */
export interface CreatedShape<T extends { id: string }> {
  parse(body: unknown): T;
}

/** Keys are per client: the same key from two clients names two requests. A clientId has no ':' (lib/api-key-list.ts). */
export const scopedIdempotencyKey = (clientId: string, key: string) => `${clientId}:${key}`;

/** A session as its record remembers it: its id and, when it was created with one, its scoped key. */
export interface CreatedSession {
  id: string;
  /** scopedIdempotencyKey of the create's client and key. */
  idempotencyKey?: string | undefined;
}

/**
 * The one way a created session's key is forgotten, after DELETE /v1/sessions/{id} and after a subject's erasure:
 * the stored response (auth token, subject) goes and a retry with the key answers 404 for the rest of its retention.
 */
export async function forgetCreatedSession(store: Pick<IdempotencyStore, "forget">, session: CreatedSession): Promise<void> {
  if (session.idempotencyKey !== undefined) await store.forget(session.idempotencyKey, session.id);
}

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

export class IdempotentCreates<T extends { id: string }> {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly leaseMs: number,
    private readonly shape: CreatedShape<T>,
  ) {}

  async run(clientId: string, key: string, input: object, log: FastifyBaseLogger, create: () => Promise<T>): Promise<IdempotentResult<T>> {
    const scoped = scopedIdempotencyKey(clientId, key);
    const fingerprint = createFingerprint(input);
    // Real time, not the injected Clock: this bounds how long a request is held, even under a frozen test clock.
    const deadline = Date.now() + this.leaseMs + MAX_POLL_MS;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
      const claim = await this.store.claim(scoped, fingerprint, this.leaseMs);
      if (claim.claimed) return { created: await this.first(scoped, claim.token, log, create), replayed: false };
      const { entry } = claim;
      // The session this key created was deleted or erased: whatever was sent, neither its 201 (and auth token) nor
      // a new session.
      if (entry.state === "forgotten") throw new AppError("LSO_ERR_SESSION_NOT_FOUND", { message: "The session created with this Idempotency-Key was deleted." });
      if (entry.fingerprint !== fingerprint) throw new AppError("LSO_ERR_IDEMPOTENCY_MISMATCH");
      if (entry.state === "completed") {
        const created = this.shape.parse(entry.response.body);
        log.info({ sessionId: created.id }, "idempotent create replayed");
        return { created, replayed: true };
      }
      if (Date.now() >= deadline) {
        throw new AppError("LSO_ERR_UPSTREAM_UNAVAILABLE", { message: "A request with this Idempotency-Key is still in progress; retry later.", retryAfterSeconds: 1 });
      }
      await sleep(pollMs);
    }
  }

  /** After a delete: see forgetCreatedSession. */
  async forgetSession(session: CreatedSession): Promise<void> {
    await forgetCreatedSession(this.store, session);
  }

  private async first(key: string, token: string, log: FastifyBaseLogger, create: () => Promise<T>): Promise<T> {
    let created: T;
    try {
      created = await create();
    } catch (error) {
      await this.store.release(key, token).catch((releaseError: unknown) => log.error({ err: releaseError }, "could not release an idempotency key"));
      throw error;
    }
    // The session exists and is remembered: a store failure here costs only the replay, so the caller still gets it.
    const stored = await this.store
      .complete(key, token, { status: 201, body: created }, IDEMPOTENCY_RETENTION_MS, created.id)
      .catch((error: unknown) => (log.error({ err: error }, "could not store an idempotent response"), false));
    if (!stored) log.warn({ sessionId: created.id }, "idempotent response not kept; a retry with this key would create another session");
    return created;
  }
}
