/**
 * Two API replicas as processes on one Redis, behind an imagined load balancer: any request may land on either,
 * and the API answers as one. Face calls are counted at the (standalone) emulator, by its own timestamps.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { describeRedis } from "../helpers/redis-server.js";
import { callsOn, Cluster, eventually } from "./cluster-kit.js";

/** The long-poll's fastest pace (session-poll-hub.ts); timers may fire a millisecond or so early. */
const MIN_POLL_GAP_MS = 500 - 20;

describeRedis("two replicas on one Redis", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // No background watcher: every Face read in these tests is a caller's or a long-poll's.
    cluster = await Cluster.start({ replicas: 2, env: { SESSION_WATCH_INTERVAL_MS: "0" } });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  const created = async (replica: string, body: Record<string, unknown> = {}) => {
    const res = await cluster.api(replica, "POST", "/v1/sessions", { body: { kind: "liveness", deviceCorrelationId: `device-${randomUUID()}`, ...body } });
    expect(res.status, res.body).toBe(201);
    return res.json() as { id: string; authToken: string };
  };

  it("when sessions are created on A and read, completed and deleted on B, then both replicas give the same answers", async () => {
    const sessions = await Promise.all(Array.from({ length: 4 }, () => created("A", { callbackUrl: cluster.receiver.url(`/mixed/${randomUUID()}`) })));
    const digests = await Promise.all(
      sessions.map(async (s) => (await emulatorDeviceAttempt(cluster.faceUrl, "liveness", s.authToken, { livenessDecision: "realface" })).body.digest!),
    );
    for (const [i, session] of sessions.entries()) {
      const onB = (await cluster.api("B", "GET", `/v1/sessions/${session.id}`)).json();
      const onA = (await cluster.api("A", "GET", `/v1/sessions/${session.id}`)).json();
      expect(onB).toMatchObject({ id: session.id, status: "succeeded", digest: digests[i], decision: { outcome: "pending" } });
      expect(onA.attempts).toEqual(onB.attempts);

      const completed = await cluster.api("B", "POST", `/v1/sessions/${session.id}/complete`, { body: { clientDigest: digests[i] } });
      expect(completed.status, completed.body).toBe(200);
      expect(completed.json().decision).toMatchObject({ outcome: "approved" });
      // The decision settled on B is what A serves, to the millisecond it was taken.
      expect((await cluster.api("A", "GET", `/v1/sessions/${session.id}`)).json().decision).toEqual(completed.json().decision);
    }
    // Settled once in the cluster: one decided entry in each audit trail, one webhook each.
    for (const session of sessions) {
      const audit = (await cluster.api("A", "GET", `/v1/sessions/${session.id}/audit`)).json() as { entries: Array<{ event: string }> };
      expect(audit.entries.filter((e) => e.event === "decided")).toHaveLength(1);
    }
    await eventually(() => {
      const ids = new Set(cluster.receiver.received.filter((w) => w.path.startsWith("/mixed/")).map((w) => w.headers["webhook-id"]));
      expect(ids.size).toBe(sessions.length);
    });

    const [gone] = sessions;
    expect((await cluster.api("B", "DELETE", `/v1/sessions/${gone!.id}`)).status).toBe(204);
    expect((await cluster.api("A", "GET", `/v1/sessions/${gone!.id}`)).status).toBe(404);
    expect(await cluster.faceSessions()).not.toContain(gone!.id);
  }, 60_000);

  it("when duplicates of an idempotent create are split across both replicas at once, then Face sees one create and every caller gets the first response", async () => {
    const key = `cluster-${randomUUID()}`;
    const body = { kind: "liveness", deviceCorrelationId: "device-duplicates", subject: "user-duplicates" };
    const before = (await cluster.faceRequests()).filter((r) => r.operation === "createLivenessSession").length;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => cluster.api(i % 2 ? "B" : "A", "POST", "/v1/sessions", { body, headers: { "idempotency-key": key } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
    const after = (await cluster.faceRequests()).filter((r) => r.operation === "createLivenessSession").length;
    expect(after - before).toBe(1);
  }, 60_000);

  it("when callers long-poll one session on both replicas, then Face sees at most one read per poll interval, and every caller gets the decision", async () => {
    const session = await created("A");
    const waits = ["A", "B", "A", "B", "A", "B"].map((r) => cluster.api(r, "GET", `/v1/sessions/${session.id}?waitSeconds=25`));
    await eventually(async () => expect(callsOn(await cluster.faceRequests(), session.id, "getLivenessSession").length).toBeGreaterThanOrEqual(3));
    await emulatorDeviceAttempt(cluster.faceUrl, "liveness", session.authToken, { livenessDecision: "spoofface" });
    const answers = await Promise.all(waits);
    expect(answers.map((a) => [a.status, (a.json().decision as { outcome: string }).outcome])).toEqual(Array(6).fill([200, "declined"]));

    const reads = callsOn(await cluster.faceRequests(), session.id, "getLivenessSession");
    const gaps = reads.slice(1).map((r, i) => r.at - reads[i]!.at);
    expect(Math.min(...gaps), `gaps between Face reads: ${gaps.join(", ")}`).toBeGreaterThanOrEqual(MIN_POLL_GAP_MS);
  }, 60_000);
});
