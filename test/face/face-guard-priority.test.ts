/**
 * The guard's queues in front of the shared quota: priorities (create, caller read, delete, background read), the
 * background share, clients served in turn, and the bucket and Face's pause shared between guards. Virtual time;
 * every assertion is about which calls reached the (fake) Face and in what order.
 */
import { describe, expect, it } from "vitest";

import type { FaceCallContext } from "../../src/face/face-gateway.js";
import { createGuardedFaceGateway, type GuardedFaceGateway } from "../../src/face/face-guard.js";
import type { GateQuota } from "../../src/face/face-guard-gate.js";
import { faceGuardDefaults, type FaceGuardOptions } from "../../src/face/face-guard-options.js";
import { appError, FakeFace, flush, memoryLogger, quotaOn, rejection, VirtualTime } from "./face-guard-kit.js";
import { StateUnavailableError } from "../../src/state/state-errors.js";

function guardOn(time: VirtualTime, quota: GateQuota, options: Partial<FaceGuardOptions> = {}, clientWeight?: (clientId: string) => number) {
  const face = new FakeFace();
  const guard = createGuardedFaceGateway(
    face,
    { ...faceGuardDefaults, maxWaitMs: 60_000, retry: { maxAttempts: 1 }, ...options },
    { quota, clock: time, sleep: time.sleep, logger: memoryLogger().logger, random: () => 0.5, ...(clientWeight && { clientWeight }) },
  );
  return { face, guard };
}

function setup(options: Partial<FaceGuardOptions> = {}) {
  const time = new VirtualTime();
  return { time, ...guardOn(time, quotaOn(time), options) };
}

const read = (guard: GuardedFaceGateway, id: string, ctx: FaceCallContext = {}) => guard.getSession("liveness", id, ctx);
const background = (guard: GuardedFaceGateway, id: string, clientId = "acme") => read(guard, id, { priority: "background", clientId });
/** What Face saw, in order: the session id of reads and deletes, the operation's name otherwise. */
const seen = (face: FakeFace) => face.calls.map((c) => c.arg ?? c.operation);

describe("face guard: priorities", () => {
  it("when calls of every kind wait for the quota, then Face sees creates, then caller reads, then deletes, then background reads", async () => {
    const { time, face, guard } = setup({ maxTps: 1, backgroundShare: 1 });
    const calls: Promise<unknown>[] = [read(guard, "first")]; // takes the one token there is
    await flush();
    calls.push(
      background(guard, "watch"),
      guard.deleteSession("liveness", "gone"),
      read(guard, "caller"),
      guard.createLivenessSession({} as never),
    );
    await time.advance(5000);
    await Promise.all(calls);
    expect(seen(face)).toEqual(["first", "createLivenessSession", "caller", "gone", "watch"]);
  });

  it("when background reads wait beside caller reads, then the background never uses more than its share", async () => {
    const { time, face, guard } = setup({ maxTps: 10, backgroundShare: 0.3 });
    const calls = Array.from({ length: 12 }, (_, i) => background(guard, `bg${i}`));
    await flush();
    expect(face.count("getSession")).toBe(1);
    // 3 per second at 10 TPS: one every 333.3 ms, whatever the face lane could give.
    await time.advance(2010);
    expect(face.count("getSession")).toBe(7);
    // Caller reads meanwhile take the face lane's other tokens, one every 100 ms.
    const callers = Array.from({ length: 5 }, (_, i) => read(guard, `caller${i}`));
    await time.advance(700);
    expect(seen(face).filter((id) => String(id).startsWith("caller"))).toHaveLength(5);
    expect(seen(face).filter((id) => String(id).startsWith("bg"))).toHaveLength(8);
    await time.advance(2000);
    await Promise.all([...calls, ...callers]);
    expect(guard.stats().granted).toMatchObject({ read: 5, background: 12 });
    expect(guard.stats().quotaHolds.background).toBeGreaterThan(0);
  });

  it("when the guard waits on the background share and a caller's read arrives, then the read goes at the next token", async () => {
    const { time, face, guard } = setup({ maxTps: 10, backgroundShare: 0.1 });
    const calls = [background(guard, "bg1"), background(guard, "bg2")]; // bg2 waits a second for the background lane
    await time.advance(200);
    calls.push(read(guard, "caller"));
    await flush();
    expect(seen(face)).toEqual(["bg1", "caller"]);
    await time.advance(1000);
    await Promise.all(calls);
    expect(seen(face)).toEqual(["bg1", "caller", "bg2"]);
  });
});

describe("face guard: a create beside busy background and readers", () => {
  it("when the background share is used up and watcher reads wait, then a create is admitted next, at once", async () => {
    const { time, face, guard } = setup({ maxTps: 10, backgroundShare: 0.1 });
    const calls = Array.from({ length: 5 }, (_, i) => background(guard, `bg${i}`)); // bg0 spends the share for 1 s
    await time.advance(200);
    expect(seen(face)).toEqual(["bg0"]);
    expect(guard.stats().queued.background).toBe(4);
    calls.push(guard.createLivenessSession({} as never));
    await flush();
    expect(seen(face)).toEqual(["bg0", "createLivenessSession"]);
    await time.advance(5000);
    await Promise.all(calls);
    expect(seen(face)).toEqual(["bg0", "createLivenessSession", "bg1", "bg2", "bg3", "bg4"]);
  });

  it("when one tenant's reads take every token as it comes, then another tenant's create goes within half an interval, before them", async () => {
    const { time, face, guard } = setup({ maxTps: 10 });
    const reads = Array.from({ length: 20 }, (_, i) => read(guard, `noisy${i}`, { clientId: "noisy" }));
    // Reads leave half a token for creates: one at 0, then one every 100 ms.
    await time.advance(110);
    expect(seen(face)).toEqual(["noisy0", "noisy1"]);
    const create = guard.createLivenessSession({} as never, { clientId: "quiet" });
    // Half a token was left at 100 ms; the create needs one, due at 150 ms, not the next read's turn at 200 ms.
    await time.advance(39);
    expect(face.count("createLivenessSession")).toBe(0);
    await time.advance(1);
    expect(seen(face)).toEqual(["noisy0", "noisy1", "createLivenessSession"]);
    await create;
    await time.advance(5000);
    await Promise.all(reads);
    expect(face.count("getSession")).toBe(20);
  });
});

describe("face guard: clients in turn", () => {
  it("when one client has many calls waiting, then another client's call is served after at most one of them", async () => {
    const { time, face, guard } = setup({ maxTps: 1 });
    const calls = Array.from({ length: 8 }, (_, i) => read(guard, `acme${i}`, { clientId: "acme" }));
    await flush();
    calls.push(read(guard, "globex", { clientId: "globex" }));
    await time.advance(10_000);
    await Promise.all(calls);
    // acme0 had the token already; acme1's turn comes first, then globex's.
    expect(seen(face).indexOf("globex")).toBeLessThanOrEqual(2);
    expect(seen(face).filter((id) => String(id).startsWith("acme"))).toEqual(Array.from({ length: 8 }, (_, i) => `acme${i}`));
  });

  it("when the queue is long for one client, then another client's call is not refused for the first client's wait", async () => {
    const { time, face, guard } = setup({ maxTps: 1, maxWaitMs: 3000 });
    const calls = Array.from({ length: 4 }, (_, i) => read(guard, `acme${i}`, { clientId: "acme" }));
    const late = rejection((await Promise.allSettled([read(guard, "acme-late", { clientId: "acme" })]))[0]!);
    expect(late.retryAfterSeconds).toBe(4);
    calls.push(read(guard, "globex", { clientId: "globex" }));
    // Settled as they go: globex's turn comes before acme's later calls, which may then run out of time.
    const results = Promise.allSettled(calls);
    await time.advance(5000);
    expect((await results).at(-1)?.status).toBe("fulfilled");
    expect(seen(face).slice(0, 3)).toEqual(["acme0", "acme1", "globex"]);
  });
});

describe("face guard: client weights", () => {
  it("when a client has weight 3 and another weight 1, then while both wait Face sees three of the first for each of the second", async () => {
    const time = new VirtualTime();
    const weights: Record<string, number> = { acme: 3 };
    const { face, guard } = guardOn(time, quotaOn(time), { maxTps: 1 }, (clientId) => weights[clientId] ?? 1);
    const calls = [read(guard, "first", { clientId: "other" })]; // takes the one token there is
    await flush();
    for (let i = 0; i < 6; i++) calls.push(read(guard, `acme${i}`, { clientId: "acme" }), read(guard, `globex${i}`, { clientId: "globex" }));
    await time.advance(20_000);
    await Promise.all(calls);
    expect(seen(face)).toEqual(["first", "acme0", "acme1", "acme2", "globex0", "acme3", "acme4", "acme5", "globex1", "globex2", "globex3", "globex4", "globex5"]);
  });

  it("when a client's weight changes while it waits, then its next turn follows the new weight", async () => {
    const time = new VirtualTime();
    const weights: Record<string, number> = {};
    const { face, guard } = guardOn(time, quotaOn(time), { maxTps: 1 }, (clientId) => weights[clientId] ?? 1);
    const calls = [read(guard, "first", { clientId: "other" })];
    await flush();
    for (let i = 0; i < 4; i++) calls.push(read(guard, `acme${i}`, { clientId: "acme" }), read(guard, `globex${i}`, { clientId: "globex" }));
    weights.acme = 2;
    await time.advance(20_000);
    await Promise.all(calls);
    expect(seen(face)).toEqual(["first", "acme0", "acme1", "globex0", "acme2", "acme3", "globex1", "globex2", "globex3"]);
  });
});

describe("face guard: one quota for every replica", () => {
  it("when two guards share one bucket, then together they send no more than the bucket allows", async () => {
    const time = new VirtualTime();
    const quota = quotaOn(time);
    const a = guardOn(time, quota, { maxTps: 2 });
    const b = guardOn(time, quota, { maxTps: 2 });
    const calls = Array.from({ length: 4 }, (_, i) => [read(a.guard, `a${i}`), read(b.guard, `b${i}`)]).flat();
    await time.advance(999);
    // One token at once and one every 500 ms: three in the first second, shared between the two.
    expect(a.face.calls.length + b.face.calls.length).toBe(2);
    await time.advance(1);
    expect(a.face.calls.length + b.face.calls.length).toBe(3);
    await time.advance(3000);
    await Promise.all(calls);
    expect(a.face.calls.length + b.face.calls.length).toBe(8);
  });

  it("when Face throttles one guard, then the other holds off until the pause is over", async () => {
    const time = new VirtualTime();
    const quota = quotaOn(time);
    const a = guardOn(time, quota, { maxTps: 100 });
    const b = guardOn(time, quota, { maxTps: 100 });
    a.face.script("getSession", appError("LSO_ERR_UPSTREAM_UNAVAILABLE", 2));
    await Promise.allSettled([read(a.guard, "throttled")]);
    const other = read(b.guard, "other");
    await time.advance(2000);
    // A read must leave the creates' half-token reserve: it goes half an interval after the pause's end.
    expect(b.face.count("getSession")).toBe(0);
    await time.advance(5);
    expect(b.face.count("getSession")).toBe(1);
    await other;
    expect(b.guard.stats().quotaHolds.pause).toBe(1);
    expect(b.guard.stats().pausedUntil).toBe(0);
  });

  it("when the shared bucket cannot be reached, then waiting calls are refused with the state's own error and Face is not called", async () => {
    const time = new VirtualTime();
    // What the Redis bucket throws in an outage; the error handler answers it 503 LSO_ERR_STATE_UNAVAILABLE.
    const outage = new StateUnavailableError("redis", "connection lost");
    const failing: GateQuota = {
      resource: "face.example.test",
      bucket: {
        take: () => Promise.reject(outage),
        pause: () => Promise.reject(outage),
      },
    };
    const { face, guard } = guardOn(time, failing);
    const [result] = await Promise.allSettled([read(guard, "s")]);
    expect(result).toEqual({ status: "rejected", reason: outage });
    expect(face.calls).toEqual([]);
    expect(guard.stats()).toMatchObject({ quotaErrors: 1, rejectedByQueue: { quotaUnavailable: 1 } });
  });

  it("when the shared bucket cannot be reached as a create goes straight to it, then the create and the calls behind it get the state's own error", async () => {
    const time = new VirtualTime();
    const outage = new StateUnavailableError("redis", "connection lost");
    const failing: GateQuota = { resource: "face.example.test", bucket: { take: () => Promise.reject(outage), pause: () => Promise.reject(outage) } };
    const { face, guard } = guardOn(time, failing);
    const results = await Promise.allSettled([guard.createLivenessSession({} as never), read(guard, "s")]);
    expect(results).toEqual([{ status: "rejected", reason: outage }, { status: "rejected", reason: outage }]);
    expect(face.calls).toEqual([]);
    expect(guard.stats()).toMatchObject({ quotaErrors: 1, rejectedByQueue: { quotaUnavailable: 2 } });
    expect(time.pendingTimers).toBe(0);
  });
});

