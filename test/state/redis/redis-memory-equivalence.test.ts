/**
 * The Redis backend answers as the memory backend does, for random sequences of operations and clock moves: the
 * contract suites pin the cases someone thought of; this finds the ones nobody did (edges of windows, leases and
 * expiries, where a Lua script and a Map can quietly disagree). Random tokens (claims, leases) are compared by
 * role, not by value. A delete's answer is compared only for live entries: for a lapsed one it depends on whether
 * the memory backend happened to drop it lazily on an earlier read.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { ManualClock } from "../../../src/lib/clock.js";
import { createRedisState } from "../../../src/state/redis/redis-state.js";
import type { SessionRecord } from "../../../src/state/session-store.js";
import { createMemoryState } from "../../../src/state/state-memory.js";
import type { State } from "../../../src/state/state.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";

const SECOND = 1000;
const ids = ["a", "b", "c"];

/** One operation on a state; `refs` holds the tokens and leases this backend handed out, by order of issue. */
type Op = { label: string; run: (state: State, clock: ManualClock, refs: string[]) => Promise<unknown> };

const pick = <T>(list: readonly T[], i: number): T | undefined => list[i % Math.max(1, list.length)];

/**
 * Claims and due lists are compared whole and by id: which of several equally due entries comes first is left to
 * each backend (the contract suites check the earliest-first order itself), so limits here always cover every id.
 */
const byId = <T>(list: T[], idOf: (item: T) => string): T[] => [...list].sort((a, b) => idOf(a).localeCompare(idOf(b)));

const record = (id: string, now: number, expiresIn: number, dueIn: number | undefined): SessionRecord => ({
  id,
  kind: "liveness",
  clientId: "acme",
  enableSessionImage: false,
  createdAt: now,
  authTokenExpiresAt: now + expiresIn,
  expiresAt: now + expiresIn,
  lastKnownStatus: "NotStarted",
  lastCheckedAt: now,
  ...(dueIn === undefined ? {} : { dueAt: now + dueIn }),
});

const id = fc.constantFrom(...ids);
const ms = fc.integer({ min: 0, max: 30 * SECOND });
const dueOffset = fc.integer({ min: -5 * SECOND, max: 20 * SECOND });
const advance = ms.map<Op>((n) => ({ label: `advance ${n}`, run: async (_s, clock) => clock.advance(n) }));

const sessionOps: fc.Arbitrary<Op>[] = [
  advance,
  fc.tuple(id, fc.integer({ min: 1, max: 60 * SECOND }), fc.option(dueOffset, { nil: undefined })).map<Op>(([i, exp, due]) => ({
    label: `put ${i} exp+${exp} due${due}`,
    run: (s, c) => s.sessions.put(record(i, c.now(), exp, due)),
  })),
  id.map<Op>((i) => ({ label: `get ${i}`, run: (s) => s.sessions.get(i) })),
  fc.tuple(id, fc.option(dueOffset, { nil: null }), fc.integer({ min: 0, max: 9 })).map<Op>(([i, due, n]) => ({
    label: `update ${i} due ${due}`,
    run: (s, c) => s.sessions.update(i, { lastAttemptSeen: n, dueAt: due === null ? null : c.now() + due }),
  })),
  fc.tuple(id, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 9 })).map<Op>(([i, claim, n]) => ({
    label: `fenced update ${i} claim ${claim}`,
    run: (s) => s.sessions.update(i, { lastAttemptSeen: n }, { claim }),
  })),
  fc.tuple(id, fc.boolean()).map<Op>(([i, counted]) => ({
    label: `settle ${i}`,
    run: (s, c) =>
      s.sessions.settle(
        i,
        { decision: { outcome: "declined", reasons: [], decidedAt: null }, digestCheck: "match", ...(counted ? { outcomeCountedAt: c.now() } : {}) },
        { dueAt: null, decisionReadAt: c.now() },
      ),
  })),
  id.map<Op>((i) => ({ label: `count ${i}`, run: (s, c) => s.sessions.markOutcomeCounted(i, c.now()) })),
  fc.integer({ min: 1, max: 10 * SECOND }).map<Op>((lease) => ({
    label: `claimDue ${lease}`,
    run: async (s) => byId(await s.sessions.claimDue(ids.length, lease), (r) => r.id),
  })),
  id.map<Op>((i) => ({ label: `delete ${i}`, run: async (s) => ((await s.sessions.get(i)) ? s.sessions.delete(i) : "expired") })),
  fc.tuple(fc.constantFrom("t1", "t2", "t3"), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 30 * SECOND })).map<Op>(([t, max, hold]) => ({
    label: `admit ${t} max ${max} hold ${hold}`,
    run: (s, c) => s.sessions.admitLive("acme", t, max, c.now() + hold),
  })),
  fc.constantFrom("t1", "t2", "t3").map<Op>((t) => ({ label: `release ${t}`, run: (s) => s.sessions.releaseLive("acme", t) })),
  fc.constant<Op>({ label: "count live", run: (s) => s.sessions.countLive("acme") }),
];

const lockoutRule = { maxFailures: 3, windowMs: 10 * SECOND, cooldownMs: 15 * SECOND };
const lockoutOps: fc.Arbitrary<Op>[] = [
  advance,
  fc.tuple(id, fc.integer({ min: -12 * SECOND, max: 2 * SECOND })).map<Op>(([i, offset]) => ({
    label: `fail ${i} at${offset}`,
    run: (s, c) => s.lockout.recordFailure(i, c.now() + offset, lockoutRule),
  })),
  id.map<Op>((i) => ({ label: `lockout get ${i}`, run: (s) => s.lockout.get(i, lockoutRule.windowMs) })),
  id.map<Op>((i) => ({ label: `lockout clear ${i}`, run: (s) => s.lockout.clear(i) })),
];

const idempotencyOps: fc.Arbitrary<Op>[] = [
  advance,
  fc.tuple(id, fc.constantFrom("f1", "f2"), fc.integer({ min: 1, max: 20 * SECOND })).map<Op>(([i, f, lease]) => ({
    label: `claim ${i} ${f}`,
    run: async (s, _c, refs) => {
      const result = await s.idempotency.claim(i, f, lease);
      if (!result.claimed) return result;
      refs.push(result.token);
      return { claimed: true, token: `#${refs.length - 1}` };
    },
  })),
  fc.tuple(id, fc.nat(), fc.integer({ min: 1, max: 30 * SECOND }), fc.constantFrom(undefined, "s1", "s2")).map<Op>(([i, ref, ttl, session]) => ({
    label: `complete ${i} #${ref} ${session ?? "-"}`,
    run: (s, _c, refs) => s.idempotency.complete(i, pick(refs, ref) ?? "none", { status: 201, body: { id: i, authToken: "t" } }, ttl, session),
  })),
  fc.tuple(id, fc.nat()).map<Op>(([i, ref]) => ({ label: `release ${i} #${ref}`, run: (s, _c, refs) => s.idempotency.release(i, pick(refs, ref) ?? "none") })),
  fc.tuple(id, fc.constantFrom("s1", "s2")).map<Op>(([i, session]) => ({ label: `forget ${i} ${session}`, run: (s) => s.idempotency.forget(i, session) })),
];

const otherOps: fc.Arbitrary<Op>[] = [
  advance,
  // Rate-limit windows follow the wall clock (rate-limiter-flexible), so only the verdicts are compared, in a window
  // far longer than a run; a key keeps one limit, as a caller does (its policy).
  id.map<Op>((i) => ({
    label: `consume ${i}`,
    run: async (s) => {
      const { allowed, remaining } = await s.rateLimits.consume(i, 2, 600 * SECOND);
      return { allowed, remaining };
    },
  })),
  fc.tuple(id, fc.constantFrom("h1", "h2"), fc.integer({ min: 1, max: 20 * SECOND })).map<Op>(([i, h, ttl]) => ({
    label: `acquire ${i} ${h}`,
    // Tokens differ by design (Redis seeds its counter from the clock); whether one was granted must not.
    run: async (s) => ((await s.leases.acquire(i, h, ttl)) === undefined ? "refused" : "granted"),
  })),
  fc.tuple(id, fc.constantFrom("h1", "h2"), fc.integer({ min: 1, max: 20 * SECOND })).map<Op>(([i, h, ttl]) => ({
    label: `renew ${i} ${h}`,
    run: (s) => s.leases.renew(i, h, ttl),
  })),
  fc.tuple(id, fc.constantFrom("h1", "h2")).map<Op>(([i, h]) => ({ label: `release lease ${i} ${h}`, run: (s) => s.leases.release(i, h) })),
  fc.tuple(id, fc.integer({ min: 1, max: 20 * SECOND })).map<Op>(([i, exp]) => ({
    label: `audit append ${i}`,
    run: (s, c) => s.audit.append(i, { at: new Date(c.now()).toISOString(), event: "created", actor: "acme" }, c.now() + exp),
  })),
  id.map<Op>((i) => ({ label: `audit list ${i}`, run: (s) => s.audit.list(i, 5) })),
  id.map<Op>((i) => ({ label: `audit delete ${i}`, run: async (s) => ((await s.audit.list(i, 1)).length > 0 ? s.audit.deleteSession(i) : "expired") })),
  fc.tuple(id, fc.integer({ min: 1, max: 20 * SECOND }), fc.integer({ min: 0, max: 12 }), fc.constantFrom(10, 20, 1000)).map<Op>(([i, keep, size, maxBytes]) => ({
    label: `image put ${i} ${size} bytes, max ${maxBytes}`,
    run: (s, c) => s.images.put({ sessionId: i, clientId: "acme", bytes: Buffer.from(`image-${i}`.repeat(size)), retainUntil: c.now() + keep }, maxBytes),
  })),
  id.map<Op>((i) => ({ label: `image get ${i}`, run: async (s) => (await s.images.get(i)) ?? "absent" })),
  id.map<Op>((i) => ({ label: `image delete ${i}`, run: (s) => s.images.delete(i) })),
  fc.constant<Op>({ label: "images due", run: async (s) => byId(await s.images.due(ids.length), (d) => d.sessionId) }),
];

/** Short steps too: token buckets change within milliseconds, where 17-digit floats must round alike. */
const quotaLane = fc.record({
  name: fc.constantFrom("face", "background"),
  ratePerSec: fc.constantFrom(0.33, 1, 3, 10, 2.5),
  burst: fc.integer({ min: 1, max: 3 }),
});
const quotaOps: fc.Arbitrary<Op>[] = [
  advance,
  fc.integer({ min: 1, max: 700 }).map<Op>((n) => ({ label: `advance ${n}`, run: async (_s, clock) => clock.advance(n) })),
  fc.tuple(fc.constantFrom("r1", "r2"), fc.uniqueArray(quotaLane, { minLength: 1, maxLength: 2, selector: (l) => l.name })).map<Op>(([r, lanes]) => ({
    label: `take ${r} ${JSON.stringify(lanes)}`,
    run: (s) => s.quota.take(r, lanes),
  })),
  fc.tuple(fc.constantFrom("r1", "r2"), fc.integer({ min: 1, max: 5 * SECOND })).map<Op>(([r, forMs]) => ({
    label: `pause ${r} ${forMs}`,
    run: (s) => s.quota.pause(r, forMs),
  })),
];

const outboxOps: fc.Arbitrary<Op>[] = [
  advance,
  fc.tuple(id, fc.integer({ min: -5 * SECOND, max: 10 * SECOND })).map<Op>(([i, due]) => ({
    label: `add ${i}`,
    run: (s, c) =>
      s.outbox.add({
        webhookId: i,
        sessionId: i === "c" ? "s2" : "s1",
        clientId: i === "c" ? "globex" : "acme",
        type: "session.decided",
        url: `https://hooks.example/${i}?token=secret`,
        body: `{"id":"${i}"}`,
        createdAt: c.now(),
        state: "pending",
        series: 1,
        seriesStartedAt: c.now(),
        dueAt: c.now() + due,
        lastAttempt: 0,
        attempts: [],
        updatedAt: c.now(),
      }),
  })),
  fc.tuple(fc.integer({ min: 1, max: 10 * SECOND }), fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined })).map<Op>(([lease, cap]) => ({
    label: `claim ${lease} cap ${cap}`,
    run: async (s, _c, refs) =>
      byId(await s.outbox.claimDue(ids.length, lease, cap === undefined ? {} : { maxInFlightPerClient: cap }), (c) => c.delivery.webhookId).map((claim) => {
        refs.push(claim.lease);
        return { ...claim, lease: `#${refs.length - 1}` };
      }),
  })),
  fc.tuple(id, fc.nat(), fc.constantFrom("delivered", "failed", "pending"), fc.integer({ min: 0, max: 10 * SECOND })).map<Op>(([i, ref, state, retry]) => ({
    label: `record ${i} #${ref} ${state}`,
    run: (s, c, refs) =>
      s.outbox.record(i, pick(refs, ref) ?? "none", {
        attempt: { attempt: 1 + (ref % 4), series: 1, at: c.now(), statusCode: 500, final: state !== "pending" },
        state: state as "delivered" | "failed" | "pending",
        ...(state === "pending" ? { dueAt: c.now() + retry } : {}),
      }),
  })),
  id.map<Op>((i) => ({ label: `restart ${i}`, run: (s) => s.outbox.restart(i) })),
  fc.constantFrom("s1", "s2").map<Op>((sid) => ({ label: `list ${sid}`, run: (s) => s.outbox.listBySession(sid) })),
];

describeRedis("the Redis backend against the memory backend", () => {
  const server = useRedisServer();
  const states: State[] = [];
  afterAll(async () => {
    await Promise.all(states.map((s) => s.close()));
  });

  const same = (name: string, ops: fc.Arbitrary<Op>[]) =>
    it(`when random ${name} operations run on both, then every answer is the same`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(...ops), { minLength: 1, maxLength: 40 }), async (sequence) => {
          const clock = new ManualClock();
          const memory = createMemoryState(clock, { quotaClock: clock });
          // A fresh connection is not ready yet, and the rate limiter counts in its insurance limiter (in memory)
          // until it is, as it does while Redis is away: wait for ready, as the server does at boot.
          const client = server().client();
          await client.ping();
          const redis = createRedisState(client, { keyPrefix: server().keyPrefix(), encryptionKeys: [randomBytes(32)], quotaClock: clock }, clock);
          states.push(memory, redis);
          const memoryRefs: string[] = [];
          const redisRefs: string[] = [];
          for (const op of sequence) {
            const expected = await op.run(memory, clock, memoryRefs);
            const actual = await op.run(redis, clock, redisRefs);
            expect({ op: op.label, answer: actual }).toEqual({ op: op.label, answer: expected });
          }
        }),
        { numRuns: 40 },
      );
    });

  same("session store", sessionOps);
  same("lockout", lockoutOps);
  same("idempotency", idempotencyOps);
  same("rate limit, lease, audit and image", otherOps);
  same("outbox", outboxOps);
  same("Face quota", quotaOps);
});
