/**
 * Face's quota is one budget for the whole cluster: replicas as processes, each taking its turns from the shared
 * bucket in Redis, never send Face more than FACE_MAX_TPS (+1 at a window's edge) calls in any second, counted by
 * the emulator's own timestamps, however the load is spread: creates, reads, long-polls and the background loop.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { describeRedis } from "../helpers/redis-server.js";
import { Cluster } from "./cluster-kit.js";

const MAX_TPS = 4;

describeRedis("Face's quota across replica processes", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start({
      replicas: 2,
      // Calls wait for their turn rather than fail; the watcher reads the sessions with a callbackUrl.
      env: { FACE_MAX_TPS: String(MAX_TPS), FACE_MAX_WAIT_MS: "60000", FACE_MAX_QUEUE: "1000", SESSION_WATCH_INTERVAL_MS: "500" },
    });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  it("when callers on every replica call as fast as they can, then Face never sees more than FACE_MAX_TPS + 1 calls in any second", async () => {
    const flow = async (replica: string, i: number) => {
      const body = { kind: "liveness", deviceCorrelationId: `device-${randomUUID()}`, ...(i % 2 === 0 && { callbackUrl: cluster.receiver.url(`/quota/${i}`) }) };
      const created = await cluster.api(replica, "POST", "/v1/sessions", { client: "globex", body });
      const session = created.json() as { id: string; authToken: string };
      const read = await cluster.api(replica === "A" ? "B" : "A", "GET", `/v1/sessions/${session.id}`, { client: "globex" });
      await emulatorDeviceAttempt(cluster.faceUrl, "liveness", session.authToken, { livenessDecision: "realface" });
      const waited = await cluster.api(replica, "GET", `/v1/sessions/${session.id}?waitSeconds=20`, { client: "globex" });
      return [created.status, read.status, waited.status, (waited.json().decision as { outcome: string }).outcome];
    };
    const results = await Promise.all(["A", "B"].flatMap((replica) => Array.from({ length: 6 }, (_, i) => flow(replica, i))));
    expect(results).toEqual(Array(12).fill([201, 200, 200, "approved"]));

    // Face calls only: the device's own calls (no quota of ours) are left out.
    const times = (await cluster.faceRequests()).filter((r) => !r.operation.startsWith("device")).map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(12 * 3);
    const busiest = Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + 1000).length));
    expect(busiest).toBeLessThanOrEqual(MAX_TPS + 1);
  }, 180_000);
});
