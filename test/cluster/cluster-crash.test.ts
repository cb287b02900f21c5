/**
 * kill -9 of a replica loses nothing, with the default 10-minute token: long-polls it was polling Face for, webhook
 * attempts it was making, Face deletions it was doing are all taken over by the survivor within their leases'
 * bounds (docs/state.md, "Replicas"), not at the token's lapse. The survivor is paused (SIGSTOP) while the doomed
 * replica takes the work, so which replica holds what when it dies is decided, not raced. Nothing here is timed:
 * each outcome is awaited with bounded polling, and the survivor's long-polls are counted.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { describeRedis } from "../helpers/redis-server.js";
import { callsOn, Cluster, eventually, type ApiAnswer, type Client } from "./cluster-kit.js";

/** A long-poll's wait, as a client would ask for it (below the usual 30 s proxy timeouts). */
const WAIT_SECONDS = 25;
/** A survivor's long-poll gets the decision within this many polls: the first one and at most two re-polls. */
const MAX_POLLS = 3;

describeRedis("a replica killed with -9", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start({
      replicas: 2,
      env: {
        // Webhook attempts and Face calls may take long: the doomed replica is still making them when it dies.
        WEBHOOK_TIMEOUT_MS: "20000",
        SHUTDOWN_TIMEOUT_MS: "30000",
        FACE_TIMEOUT_MS: "60000",
        // The watcher keeps its default pace, 5 s doubling up to a quarter of the token's life (150 s), from its first
        // read on, which comes at once: by the time A dies, its backoff has grown to 150 s.
        SESSION_WATCH_FIRST_POLL_MS: "500",
        // The test reads the survivor's long-poll gauge to know its waiters are in.
        METRICS: "on",
      },
    });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  const client: Client = "globex";
  const created = async (replica: string, callback: boolean) => {
    const res = await cluster.api(replica, "POST", "/v1/sessions", {
      client,
      body: {
        kind: "liveness",
        authTokenTtlSeconds: 600,
        deviceCorrelationId: `device-${randomUUID()}`,
        ...(callback && { callbackUrl: cluster.receiver.url(`/crash/${randomUUID()}`) }),
      },
    });
    expect(res.status, res.body).toBe(201);
    return res.json() as { id: string; authToken: string };
  };
  const realFace = (session: { authToken: string }) => emulatorDeviceAttempt(cluster.faceUrl, "liveness", session.authToken, { livenessDecision: "realface" });
  const decisionOf = (answer: ApiAnswer) => answer.json().decision as { outcome: string; decidedAt: string | null };
  const deliveriesOf = async (id: string) =>
    ((await cluster.api("B", "GET", `/v1/sessions/${id}/events`, { client })).json() as {
      deliveries: Array<{ state: string; attempts: Array<{ attempt: number; statusCode?: number }> }>;
    }).deliveries;

  /** A client long-polling on the doomed replica: it re-polls until its connection dies with the replica. */
  const pollUntilGone = async (id: string) => {
    for (;;) {
      try {
        await cluster.api("A", "GET", `/v1/sessions/${id}?waitSeconds=${WAIT_SECONDS}`, { client });
      } catch {
        return;
      }
    }
  };
  /** A client long-polling on the survivor: re-polls until the decision comes, and says how many polls it took. */
  const pollUntilDecided = async (id: string) => {
    for (let polls = 1; polls <= MAX_POLLS + 1; polls += 1) {
      const answer = await cluster.api("B", "GET", `/v1/sessions/${id}?waitSeconds=${WAIT_SECONDS}`, { client });
      expect(answer.status, answer.body).toBe(200);
      if (decisionOf(answer).decidedAt) return { polls, decision: decisionOf(answer) };
    }
    return { polls: Infinity, decision: undefined };
  };

  it("when a replica dies holding poll leases, webhook claims and Face deletions, then with 10-minute tokens the survivor answers its long-polls within two re-polls, watches what they left, delivers every webhook, and Face keeps no session", async () => {
    // B is paused: whatever is claimed, leased or begun from here on, A holds.
    cluster.pause("B");
    const early = await Promise.all([1, 2, 3].map(() => created("A", true)));
    const polled = await Promise.all([1, 2, 3].map(() => created("A", true)));
    // Long-polled on A only: their callers go with A, and the watcher must take them back.
    const abandoned = await Promise.all([1, 2].map(() => created("A", true)));
    const read = await Promise.all([1, 2].map(() => created("A", false)));
    const hooked = [...early, ...polled, ...abandoned];
    const sessions = [...hooked, ...read];

    // Long-polls on A: A's loops hold the poll leases and read Face.
    const gone = [...polled, ...abandoned].map((s) => pollUntilGone(s.id));
    await eventually(async () => {
      const seen = await cluster.faceRequests();
      for (const s of [...polled, ...abandoned]) expect(callsOn(seen, s.id, "getLivenessSession").length).toBeGreaterThanOrEqual(2);
    });

    // Webhooks being retried: each first attempt gets a 503, each retry hangs, so A holds their claims when it dies.
    cluster.receiver.replyWith(...early.map(() => ({ status: 503 })), ...early.map(() => ({ status: 200, hang: true })));
    await Promise.all(early.map(realFace));
    for (const s of early) expect(decisionOf(await cluster.api("A", "GET", `/v1/sessions/${s.id}`, { client }))).toMatchObject({ outcome: "approved" });
    await eventually(() => expect(cluster.receiver.received.length).toBe(2 * early.length), 60_000);
    await eventually(async () => {
      const left = await cluster.faceSessions();
      expect(early.filter((s) => left.includes(s.id))).toEqual([]);
    });

    // Decisions read on A, whose deletions at Face A has begun when it dies: Face holds them, and the connection's
    // end ends them undone (a 503 instead of the deletion).
    const deletes = { operations: ["deleteLivenessSession"], count: read.length };
    await cluster.faceFaults([
      { fault: "latency", ms: 120_000, ...deletes },
      { fault: "503", ...deletes },
    ]);
    await Promise.all(read.map(realFace));
    for (const s of read) expect(decisionOf(await cluster.api("A", "GET", `/v1/sessions/${s.id}`, { client }))).toMatchObject({ outcome: "approved" });
    await eventually(async () => {
      const seen = await cluster.faceRequests();
      for (const s of read) expect(callsOn(seen, s.id, "deleteLivenessSession")).toHaveLength(1);
    });

    // B resumes, and its long-polls follow A's loops (they read the record, not Face).
    cluster.resume("B");
    const waits = polled.map((s) => pollUntilDecided(s.id));
    // Its gauge says when they are all waiting: requests are logged when they are answered, not when they arrive.
    await eventually(async () => {
      const metrics = await cluster.api("B", "GET", "/metrics");
      expect(Number(/^lso_long_poll_waiters (\d+)$/m.exec(metrics.body)?.[1])).toBeGreaterThanOrEqual(polled.length);
    });
    // As A dies: its retries are in flight (only the 503s recorded), its deletions not done.
    for (const s of early) expect((await deliveriesOf(s.id)).map((d) => [d.state, d.attempts.map((a) => a.statusCode)])).toEqual([["pending", [503]]]);
    expect(await cluster.faceSessions()).toEqual(expect.arrayContaining(read.map((s) => s.id)));

    await cluster.kill("A");
    await Promise.all(gone);
    await Promise.all([...polled, ...abandoned].map(realFace));

    // B's long-polls take the poll loops over and answer with the decision, within two re-polls each.
    for (const { polls, decision } of await Promise.all(waits)) {
      expect(decision).toMatchObject({ outcome: "approved" });
      expect(polls).toBeLessThanOrEqual(MAX_POLLS);
    }
    // With nobody reading them again: B's watcher decides the abandoned sessions (their webhooks go out), and A's
    // deletions are B's once they are due (Face forgets the read sessions), both well before the tokens lapse.
    await eventually(async () => {
      for (const s of abandoned) expect((await deliveriesOf(s.id)).map((d) => d.state), s.id).toEqual(["delivered"]);
      const left = await cluster.faceSessions();
      expect(read.filter((s) => left.includes(s.id))).toEqual([]);
    }, 60_000);

    // Every session is readable and decided through B; every webhook delivered.
    await eventually(async () => {
      for (const s of sessions) {
        const view = await cluster.api("B", "GET", `/v1/sessions/${s.id}`, { client });
        expect(decisionOf(view), s.id).toMatchObject({ outcome: "approved", decidedAt: expect.any(String) });
      }
      for (const s of hooked) expect((await deliveriesOf(s.id)).map((d) => d.state), s.id).toEqual(["delivered"]);
    }, 90_000);
    // A's retry (attempt 2) died with it: B sent attempt 3 once A's claim lapsed.
    for (const s of early) {
      const [delivery] = await deliveriesOf(s.id);
      expect(delivery!.attempts.map((a) => [a.attempt, a.statusCode]), s.id).toEqual([
        [1, 503],
        [3, 200],
      ]);
    }
    const delivered = new Set(cluster.receiver.received.map((w) => (w.json.data as { sessionId: string }).sessionId));
    for (const s of hooked) expect(delivered).toContain(s.id);
    // Each decision was settled once in the cluster, whoever settled it.
    for (const s of sessions) {
      const audit = (await cluster.api("B", "GET", `/v1/sessions/${s.id}/audit`, { client })).json() as { entries: Array<{ event: string }> };
      expect(audit.entries.filter((e) => e.event === "decided"), s.id).toHaveLength(1);
    }
    for (const s of abandoned) {
      const audit = (await cluster.api("B", "GET", `/v1/sessions/${s.id}/audit`, { client })).json() as { entries: Array<{ event: string; actor: string }> };
      expect(audit.entries.find((e) => e.event === "decided"), s.id).toMatchObject({ actor: "system" });
    }
    // Deleted at Face once decided and read or delivered: the emulator holds no session at all.
    await eventually(async () => expect(await cluster.faceSessions()).toEqual([]), 60_000);
  }, 240_000);
});
