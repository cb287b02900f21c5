/**
 * What one GET /v1/sessions/{id} costs the state: the record is read once, and written at most once, only when
 * something changed (Face's view, the decision, the fact that the caller now has it). The session store is wrapped
 * in a proxy that lists every call. Event listeners (audit trail, webhooks) are kept off the bus here: their reads
 * are their own features' cost, not the read path's. DELETE_AFTER_DECISION=false keeps the background Face
 * deletion that follows a read decision out of the count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionEventBus } from "../../src/state/session-events.js";
import type { Decision } from "../../src/state/session-record.js";
import type { SessionStore } from "../../src/state/session-store.js";
import { create, device, faceReads, read, startOutcomeStack, type OutcomeStack } from "./session-outcomes-kit.js";

const READS = new Set<keyof SessionStore>(["get", "claimDue"]);
const WRITES = new Set<keyof SessionStore>(["put", "update", "settle", "markOutcomeCounted", "claimDue", "delete"]);

/** The store, with every call's method name recorded in `calls`. */
function countingStore(store: SessionStore): { store: SessionStore; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** A bus nobody else can subscribe to: the read path alone touches the store. */
class ListenerlessBus extends SessionEventBus {
  override subscribe(): void {}
}

const reads = (calls: string[]) => calls.filter((c) => READS.has(c as keyof SessionStore)).length;
const writes = (calls: string[]) => calls.filter((c) => WRITES.has(c as keyof SessionStore)).length;

describe("the state cost of one GET", () => {
  let stack: OutcomeStack;
  let calls: string[] = [];

  beforeAll(async () => {
    stack = await startOutcomeStack(
      { DELETE_AFTER_DECISION: "false" },
      {
        overrides: { events: new ListenerlessBus(() => undefined) },
        wrapState: (memory) => {
          const counted = countingStore(memory.sessions);
          calls = counted.calls;
          return { ...memory, sessions: counted.store };
        },
      },
    );
  });
  afterAll(async () => stack.close());

  /** A GET, with the store calls it made. */
  async function measuredRead(id: string): Promise<{ status: number; body: { status: string; decision: Decision }; calls: string[] }> {
    calls.length = 0;
    const res = await read(stack, id);
    return { status: res.statusCode, body: res.json(), calls: [...calls] };
  }

  it("when an unsettled session has not changed at Face, then a GET reads the record once and writes nothing", async () => {
    const session = await create(stack);
    await read(stack, session.id);
    const facesBefore = faceReads(stack);
    const measured = await measuredRead(session.id);
    expect(measured.status).toBe(200);
    expect(faceReads(stack)).toBe(facesBefore + 1);
    expect(measured.calls).toEqual(["get"]);
    expect({ reads: reads(measured.calls), writes: writes(measured.calls) }).toEqual({ reads: 1, writes: 0 });
  });

  it("when Face changed and the session is still open, then a GET reads once and writes the change once", async () => {
    const session = await create(stack);
    await read(stack, session.id);
    await device(stack, session, { start: true });
    const measured = await measuredRead(session.id);
    expect(measured.body.status).toBe("running");
    expect(measured.calls).toEqual(["get", "update"]);
    expect({ reads: reads(measured.calls), writes: writes(measured.calls) }).toEqual({ reads: 1, writes: 1 });
    expect((await stack.state.sessions.get(session.id))?.lastKnownStatus).toBe("Running");
  });

  it("when Face changed and the decision settles, then one write holds the snapshot, the decision, the read mark and the lockout count", async () => {
    const session = await create(stack, { subject: "budget-user" });
    await device(stack, session, { livenessDecision: "spoofface" });
    const measured = await measuredRead(session.id);
    expect(measured.body.decision.outcome).toBe("declined");
    expect(measured.calls).toEqual(["get", "settle"]);
    expect({ reads: reads(measured.calls), writes: writes(measured.calls) }).toEqual({ reads: 1, writes: 1 });
    const stored = await stack.state.sessions.get(session.id);
    expect(stored).toMatchObject({ lastKnownStatus: "Succeeded", decision: { outcome: "declined" }, decisionReadAt: expect.any(Number), outcomeCountedAt: expect.any(Number) });
    expect(await stack.state.lockout.get("acme:subject:budget-user", 60 * 60 * 1000)).toEqual({ failures: 1 });
  });

  it("when a settled decision is read again, then a GET reads once, writes nothing and does not ask Face", async () => {
    const session = await create(stack);
    await device(stack, session, { livenessDecision: "spoofface" });
    await read(stack, session.id);
    const facesBefore = faceReads(stack);
    const measured = await measuredRead(session.id);
    expect(measured.body.decision.outcome).toBe("declined");
    expect(faceReads(stack)).toBe(facesBefore);
    expect(measured.calls).toEqual(["get"]);
    expect({ reads: reads(measured.calls), writes: writes(measured.calls) }).toEqual({ reads: 1, writes: 0 });
  });

  it("when a decision settled in the background is read for the first time, then one write records that the caller has it", async () => {
    const session = await create(stack);
    await stack.state.sessions.settle(session.id, { decision: { outcome: "expired", reasons: [], decidedAt: new Date(stack.clock.now()).toISOString() }, digestCheck: "notChecked" });
    const measured = await measuredRead(session.id);
    expect(measured.body.decision.outcome).toBe("expired");
    expect(measured.calls).toEqual(["get", "update"]);
    expect((await stack.state.sessions.get(session.id))?.decisionReadAt).toBe(stack.clock.now());
  });
});
