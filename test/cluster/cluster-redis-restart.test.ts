/**
 * Redis dies (kill -9) under traffic from both replicas and comes back from its AOF (appendfsync always): while it is
 * away, the only failures are the documented 503 LSO_ERR_STATE_UNAVAILABLE with Retry-After; once it is back, both
 * replicas recover without a restart, and every create and decision a caller was given is still there.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorDeviceAttempt } from "../helpers/emulator-client.js";
import { describeRedis } from "../helpers/redis-server.js";
import { Cluster, eventually, type ApiAnswer } from "./cluster-kit.js";

interface Seen {
  replica: string;
  what: string;
  status: number;
  code?: string;
  retryAfter?: string | null;
  /** A connection error's cause, for a failure's message. */
  error?: string;
  /** When the answer came, relative to the outage. */
  phase: "before" | "outage" | "after";
}

describeRedis("Redis restarting under traffic", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start({
      replicas: 2,
      redis: { appendOnly: true, appendFsync: "always" },
      // The traffic is Face-heavy (a create and a read per round on each replica): the emulator has no quota to keep.
      env: { FACE_MAX_TPS: "200" },
    });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  it("when Redis is killed and restarted mid-traffic, then only documented 503s answer meanwhile, both replicas recover, and nothing acknowledged is lost", async () => {
    const seen: Seen[] = [];
    let phase: Seen["phase"] = "before";
    const created = new Map<string, { key: string; body: string; phase: Seen["phase"] }>();
    const decided = new Map<string, unknown>();
    const note = (replica: string, what: string, answer: ApiAnswer | undefined, error?: unknown) => {
      const entry: Seen = { replica, what, status: answer?.status ?? 0, phase };
      if (error) entry.error = String((error as { cause?: unknown }).cause ?? error);
      if (answer && answer.status >= 400) {
        entry.code = (answer.json().error as { code?: string } | undefined)?.code;
        entry.retryAfter = answer.headers.get("retry-after");
      }
      seen.push(entry);
      return answer;
    };
    const call = (replica: string, what: string, method: string, path: string, options: Parameters<Cluster["api"]>[3] = {}) =>
      cluster.api(replica, method, path, { client: "globex", ...options }).then(
        (answer) => note(replica, what, answer),
        // A connection error (status 0) is no documented answer: the assertions below catch it.
        (error: unknown) => note(replica, what, undefined, error),
      );

    let running = true;
    const traffic = async (replica: string, other: string) => {
      while (running) {
        const key = randomUUID();
        const body = { kind: "liveness", deviceCorrelationId: `device-${key}` };
        const res = await call(replica, "create", "POST", "/v1/sessions", { body, headers: { "idempotency-key": key } });
        if (res?.status !== 201) continue;
        const session = res.json() as { id: string; authToken: string };
        created.set(session.id, { key, body: res.body, phase });
        await emulatorDeviceAttempt(cluster.faceUrl, "liveness", session.authToken, { livenessDecision: "spoofface" });
        const read = await call(other, "read", "GET", `/v1/sessions/${session.id}`);
        const decision = read?.status === 200 ? (read.json().decision as { decidedAt: string | null }) : undefined;
        if (decision?.decidedAt) decided.set(session.id, decision);
      }
    };
    const workers = [traffic("A", "B"), traffic("B", "A")];
    const count = (p: Seen["phase"], status: number) => seen.filter((s) => s.phase === p && s.status === status).length;
    // What went on, for a failure's message: answers per phase, replica, call and status.
    const summary = () => {
      const tally = new Map<string, number>();
      for (const s of seen) {
        const key = `${s.phase} ${s.replica} ${s.what} ${s.status}${s.error ? ` ${s.error}` : ""}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      return JSON.stringify(Object.fromEntries(tally));
    };

    await eventually(() => expect(count("before", 201)).toBeGreaterThanOrEqual(6));
    await cluster.redis.halt("SIGKILL");
    phase = "outage";
    await eventually(() => {
      for (const replica of ["A", "B"]) expect(seen.filter((s) => s.phase === "outage" && s.replica === replica && s.status === 503).length, summary()).toBeGreaterThanOrEqual(2);
    });
    expect((await fetch(`${cluster.replica("A").url}/readyz`)).status).toBe(503);
    await cluster.redis.resume();
    phase = "after";
    // Recovered without a restart: both replicas create again, and each reads what the other wrote.
    await eventually(() => {
      for (const replica of ["A", "B"]) {
        expect(seen.filter((s) => s.phase === "after" && s.replica === replica && s.what === "read" && s.status === 200).length, summary()).toBeGreaterThanOrEqual(2);
      }
    });
    running = false;
    await Promise.all(workers);
    expect((await fetch(`${cluster.replica("B").url}/readyz`)).status).toBe(200);

    // While Redis was away, the only failures were the documented ones.
    const failures = seen.filter((s) => s.status !== 200 && s.status !== 201);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure, JSON.stringify(failure)).toMatchObject({ status: 503, code: "LSO_ERR_STATE_UNAVAILABLE", retryAfter: expect.stringMatching(/^\d+$/) });

    // Nothing a caller was given is lost: every created session reads back on both replicas, every decision as given.
    for (const [id, { key, body, phase: when }] of created) {
      for (const replica of ["A", "B"]) {
        const read = await cluster.api(replica, "GET", `/v1/sessions/${id}`, { client: "globex" });
        expect(read.status, `${id} (created ${when})`).toBe(200);
        if (decided.has(id)) expect(read.json().decision).toEqual(decided.get(id));
      }
      // Completed before the outage: the idempotent response survived too, and replays as given.
      if (when === "before") {
        const again = { kind: "liveness", deviceCorrelationId: `device-${key}` };
        const replay = await cluster.api("B", "POST", "/v1/sessions", { client: "globex", body: again, headers: { "idempotency-key": key } });
        expect(replay.body).toBe(body);
        expect(replay.headers.get("idempotent-replayed")).toBe("true");
      }
    }
  }, 120_000);
});
