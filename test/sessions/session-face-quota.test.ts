/**
 * Face's quota as the whole app spends it, counted at the emulator (its own request log: order, timestamps,
 * session ids), never timed on our side: callers' calls go before the background loop's reads, the background
 * share holds in every window, one tenant's load does not hold another tenant's create back by more than its turn,
 * and a session a caller reads costs Face its floor of three calls.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EnvInput } from "../../src/config.js";
import type { EmulatorRequest } from "../../src/emulator/emulator-state.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";
import {
  create,
  device,
  eventsOf,
  eventually,
  faceRequestsFor,
  read,
  startOutcomeStack,
  WEBHOOKS_ON,
  type Created,
  type OutcomeStack,
} from "./session-outcomes-kit.js";

let stack: OutcomeStack | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await stack?.close();
  await receiver?.close();
  stack = receiver = undefined;
});

/** A small quota that calls may wait long for (nothing here should be refused), and a watcher due 1 s after creation. */
async function start(env: EnvInput): Promise<OutcomeStack> {
  receiver = await new WebhookReceiver().start();
  stack = await startOutcomeStack({
    FACE_MAX_WAIT_MS: "30000",
    SESSION_WATCH_INTERVAL_MS: "100",
    SESSION_WATCH_FIRST_POLL_MS: "1000",
    SESSION_WATCH_CONCURRENCY: "16",
    ...WEBHOOKS_ON,
    ...env,
  });
  return stack;
}

async function createMany(s: OutcomeStack, count: number, body: Record<string, unknown> = {}): Promise<Created[]> {
  const sessions: Created[] = [];
  for (let i = 0; i < count; i += 1) sessions.push(await create(s, body));
  return sessions;
}

const log = (s: OutcomeStack) => s.emulator.state.requestLog();
const isRead = (r: EmulatorRequest) => r.operation === "getLivenessSession";
const isCreate = (r: EmulatorRequest) => r.operation === "createLivenessSession";

describe("callers before the background loop", () => {
  it("when many background reads wait for a small quota, then a caller's create reaches Face before the queued ones", async () => {
    const s = await start({ FACE_MAX_TPS: "4", FACE_BACKGROUND_SHARE: "1" });
    await createMany(s, 10, { callbackUrl: receiver!.url() });
    s.emulator.state.resetRequestCounts();
    s.clock.advance(1000); // every session's first watch is due at once
    await eventually(() => expect(log(s).filter(isRead).length).toBeGreaterThanOrEqual(2));

    const issuedAt = log(s).length;
    await create(s, {}, "globex");
    await eventually(() => expect(log(s).filter(isRead)).toHaveLength(10));
    const after = log(s).slice(issuedAt);
    // At most the one read that already held its token went first; every other queued read waited behind the create.
    expect(after.findIndex(isCreate)).toBeLessThanOrEqual(1);
    expect(log(s).slice(0, issuedAt).filter(isRead).length).toBeLessThanOrEqual(8);
  });

  it("when background reads are due beyond their share, then no window at the emulator holds more than the share allows", async () => {
    const s = await start({ FACE_MAX_TPS: "4", FACE_BACKGROUND_SHARE: "0.5" });
    await createMany(s, 8, { callbackUrl: receiver!.url() });
    s.emulator.state.resetRequestCounts();
    s.clock.advance(1000);
    await eventually(() => expect(log(s).filter(isRead)).toHaveLength(8), 15_000);
    const times = log(s)
      .filter(isRead)
      .map((r) => r.at);
    // 2 per second with no burst: any span of t ms holds at most 1 + 2t/1000 reads (+1 for the network's jitter).
    for (let i = 0; i < times.length; i += 1) {
      for (let j = i + 1; j < times.length; j += 1) {
        expect(j - i + 1, `reads ${i}..${j} within ${times[j]! - times[i]!} ms`).toBeLessThanOrEqual(1 + (2 * (times[j]! - times[i]!)) / 1000 + 1);
      }
    }
  });
});

describe("tenants in turn", () => {
  it("when one tenant's long-polls keep Face busy, then another tenant's create is the next call Face sees", async () => {
    const s = await start({ FACE_MAX_TPS: "4", SESSION_WATCH_INTERVAL_MS: "0" });
    const sessions = await createMany(s, 8);
    const polls = sessions.map((session) => read(s, session.id, "?waitSeconds=3"));
    await eventually(() => expect(log(s).filter(isRead).length).toBeGreaterThanOrEqual(12));

    const issuedAt = log(s).length;
    await create(s, {}, "globex");
    expect(log(s).slice(issuedAt).findIndex(isCreate)).toBeLessThanOrEqual(1);
    expect((await Promise.all(polls)).map((r) => r.statusCode)).toEqual(sessions.map(() => 200));
  });

  it("when one tenant's creates queue for the quota, then another tenant's create waits for at most one of them", async () => {
    const s = await start({ FACE_MAX_TPS: "2", SESSION_WATCH_INTERVAL_MS: "0" });
    const acme = Array.from({ length: 8 }, () => create(s));
    await eventually(() => expect(log(s).filter(isCreate).length).toBeGreaterThanOrEqual(1));

    const issuedAt = log(s).length;
    const globex = await create(s, {}, "globex");
    await Promise.all(acme);
    const globexCreate = eventsOf(s, globex.id, "created")[0]?.faceRequestId;
    const creates = log(s).slice(issuedAt).filter(isCreate);
    // Before it: at most an acme create already on its way to Face, and the one acme create whose turn came first.
    expect(creates.findIndex((r) => r.requestId === globexCreate)).toBeLessThanOrEqual(2);
    expect(creates.length).toBeGreaterThanOrEqual(6); // acme's creates were still queued when globex's came
  });
});

describe("Face calls per session", () => {
  it("when the caller reads the settled outcome once, then Face sees three calls for the session: create, one read, delete", async () => {
    const s = await start({ SESSION_SWEEP_INTERVAL_MS: "100" });
    const session = await create(s, { authTokenTtlSeconds: 60 }, "globex");
    await device(s, session, { livenessDecision: "realface" });
    expect((await read(s, session.id, "", "globex")).json().decision.outcome).toBe("approved");
    await eventually(() => expect(eventsOf(s, session.id, "deletedAtFace")).toHaveLength(1));

    s.clock.advance(61_000); // past the lapse: nothing is left for the background loop to ask Face
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(faceRequestsFor(s, session.id).map((r) => r.operation)).toEqual(["createLivenessSession", "getLivenessSession", "deleteLivenessSession"]);
  });
});
