/**
 * kill -9 of a replica loses nothing: sessions it created or was watching, long-polls it was running for the
 * cluster, webhook deliveries it was retrying are all finished by the survivor, within its claims' and leases'
 * bounds. Nothing here is timed: each outcome is awaited with bounded polling.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { describeRedis } from "../helpers/redis-server.js";
import { callsOn, Cluster, eventually, type Client } from "./cluster-kit.js";

describeRedis("a replica killed with -9", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start({
      replicas: 2,
      // The watcher settles sessions nobody reads (they all have a callbackUrl), from half a second on; short webhook
      // attempts keep their claims short too.
      // METRICS on: the test reads the survivor's long-poll gauge to know its waiters are in.
      env: { SESSION_WATCH_INTERVAL_MS: "500", SESSION_WATCH_FIRST_POLL_MS: "500", WEBHOOK_TIMEOUT_MS: "2000", METRICS: "on" },
    });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  const client: Client = "globex";
  const created = async (replica: string) => {
    const res = await cluster.api(replica, "POST", "/v1/sessions", {
      client,
      // A short token keeps the watcher's backoff short too (it grows to a quarter of the token's lifetime).
      body: { kind: "liveness", authTokenTtlSeconds: 90, deviceCorrelationId: `device-${randomUUID()}`, callbackUrl: cluster.receiver.url(`/crash/${randomUUID()}`) },
    });
    expect(res.status, res.body).toBe(201);
    return res.json() as { id: string; authToken: string };
  };
  const realFace = (session: { authToken: string }) => emulatorDeviceAttempt(cluster.faceUrl, "liveness", session.authToken, { livenessDecision: "realface" });

  it("when one replica dies mid-work, then every session is decided through the survivor, every webhook delivered, and Face keeps none of them", async () => {
    // The receiver fails its first answers: deliveries are being retried when the replica dies.
    cluster.receiver.replyWith(...Array.from({ length: 6 }, () => ({ status: 503, headers: { "retry-after": "1" } })));
    const early = await Promise.all(["A", "B", "A"].map(created));
    const polled = await Promise.all(["A", "B", "A"].map(created));
    const quiet = await Promise.all(["A", "A"].map(created));
    const sessions = [...early, ...polled, ...quiet];

    // Decided early: the watchers settle them and the webhooks start failing.
    await Promise.all(early.map(realFace));
    const wait = (replica: string, id: string) =>
      cluster.api(replica, "GET", `/v1/sessions/${id}?waitSeconds=25`, { client }).then(
        (answer) => ({ replica, answer }),
        // A's connections die with it.
        () => ({ replica, answer: undefined }),
      );
    // A's waiters come first, so A's loops hold the poll leases: B's waiters follow until A dies.
    const waits = polled.map((s) => wait("A", s.id));
    await eventually(async () => {
      const seen = await cluster.faceRequests();
      for (const s of polled) expect(callsOn(seen, s.id, "getLivenessSession").length).toBeGreaterThanOrEqual(2);
    });
    await eventually(() => expect(cluster.receiver.received.length).toBeGreaterThanOrEqual(4));
    waits.push(...polled.map((s) => wait("B", s.id)));
    // B's long-polls are all waiting (its loops follow A's: they read the record, not Face) when A dies. Its gauge
    // says so: requests are logged when they are answered, not when they arrive.
    await eventually(async () => {
      const metrics = await cluster.api("B", "GET", "/metrics");
      expect(Number(/^lso_long_poll_waiters (\d+)$/m.exec(metrics.body)?.[1])).toBeGreaterThanOrEqual(polled.length);
    });

    await cluster.kill("A");
    await Promise.all([...polled, ...quiet].map(realFace));

    // Long-polls on the survivor end with the decision; the poll loops A held are taken over.
    const answered = await Promise.all(waits);
    for (const { answer } of answered.filter((w) => w.replica === "B")) {
      expect(answer?.status).toBe(200);
      expect(answer?.json().decision).toMatchObject({ outcome: "approved" });
    }

    await eventually(async () => {
      for (const s of sessions) {
        const view = await cluster.api("B", "GET", `/v1/sessions/${s.id}`, { client });
        expect(view.json().decision, s.id).toMatchObject({ outcome: "approved", decidedAt: expect.any(String) });
        const events = (await cluster.api("B", "GET", `/v1/sessions/${s.id}/events`, { client })).json() as { deliveries: Array<{ state: string }> };
        expect(events.deliveries.map((d) => d.state), s.id).toEqual(["delivered"]);
      }
    }, 90_000);
    // The early ones were mid-retry when A died: a 503 first, a 2xx in the end.
    for (const s of early) {
      const events = (await cluster.api("B", "GET", `/v1/sessions/${s.id}/events`, { client })).json();
      const { attempts } = (events as { deliveries: Array<{ attempts: Array<{ statusCode?: number }> }> }).deliveries[0]!;
      expect([attempts[0]?.statusCode, attempts.at(-1)?.statusCode], s.id).toEqual([503, 200]);
    }

    // Every webhook reached the receiver at least once with a 2xx (delivered above), and its id is the session's.
    const delivered = new Set(cluster.receiver.received.map((w) => (w.json.data as { sessionId: string }).sessionId));
    for (const s of sessions) expect(delivered).toContain(s.id);
    // Each decision was settled once in the cluster, whoever settled it.
    for (const s of sessions) {
      const audit = (await cluster.api("B", "GET", `/v1/sessions/${s.id}/audit`, { client })).json() as { entries: Array<{ event: string }> };
      expect(audit.entries.filter((e) => e.event === "decided"), s.id).toHaveLength(1);
    }
    // Deleted at Face once decided and delivered: the emulator holds none of them.
    await eventually(async () => {
      const left = await cluster.faceSessions();
      expect(sessions.filter((s) => left.includes(s.id))).toEqual([]);
    }, 60_000);
  }, 120_000);
});
