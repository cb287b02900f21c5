/**
 * A deletion at Face is started without anyone awaiting it (after a decision is read, or its webhook delivered). If
 * the state is away when it starts, it must settle and log, never reject: an unhandled rejection ends the process.
 * Real redis-server, stopped under the state.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FaceGateway } from "../../src/face/face-gateway.js";
import { ManualClock } from "../../src/lib/clock.js";
import { SessionCleanup } from "../../src/sessions/session-cleanup.js";
import { SessionEventBus } from "../../src/state/session-events.js";
import { openRedisState, type RedisState } from "../../src/state/redis/redis-state.js";
import { CapturedLogs } from "../helpers/captured-logs.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";

describeRedis("a deletion at Face that starts while Redis is away", () => {
  const server = useRedisServer();
  const clock = new ManualClock(Date.now());
  let state: RedisState;
  beforeAll(async () => {
    state = await openRedisState(server().url, { keyPrefix: server().keyPrefix(), encryptionKeys: [randomBytes(32)] }, clock);
  });
  afterAll(async () => state?.close());

  it("when the store cannot even be read, then the deletion resolves to no record and says it will be retried", async () => {
    const logs = new CapturedLogs();
    const faceCalls: string[] = [];
    // Never reached here: the record is read first. Any call is recorded so the test can show none was made.
    const face = new Proxy({}, { get: (_, name) => () => faceCalls.push(String(name)) }) as FaceGateway;
    const cleanup = new SessionCleanup(
      { face, store: state.sessions, images: state.images, events: new SessionEventBus(() => undefined), clock },
      { deleteAfterDecision: true, imageRetentionMs: 0, imageMaxBytes: 0, retryMs: 1000 },
    );
    await server().halt();
    try {
      const id = randomUUID();
      await expect(cleanup.deleteAtFace(id, { id: "acme", log: logs.logger() })).resolves.toBeUndefined();
      expect(faceCalls).toEqual([]);
      expect(logs.records()).toMatchObject([{ level: 40, sessionId: id, msg: "could not delete the session at Face; it will be retried" }]);
    } finally {
      await server().resume();
    }
  });
});
