import { describe, expect, it } from "vitest";

import { SessionEventBus, type SessionEvent } from "../../src/state/session-events.js";

const event: SessionEvent = { type: "tokenIssued", sessionId: "s-1", clientId: "acme", at: 0, actor: "acme", authTokenExpiresAt: 1 };

describe("session event bus", () => {
  it("when an event is emitted, then no listener runs before emit returns, and each hears it once", async () => {
    const bus = new SessionEventBus(() => undefined);
    const heard: string[] = [];
    bus.subscribe((e) => void heard.push(`sync ${e.type}`));
    bus.subscribe(async (e) => void heard.push(`async ${e.type}`));
    bus.emit(event);
    expect(heard).toEqual([]);
    await bus.drain();
    expect(heard).toEqual(["sync tokenIssued", "async tokenIssued"]);
  });

  it("when one listener throws and another rejects, then both errors are reported and the other listeners still run", async () => {
    const errors: unknown[] = [];
    const bus = new SessionEventBus((error) => errors.push(error));
    const heard: string[] = [];
    bus.subscribe(() => {
      throw new Error("sync failure");
    });
    bus.subscribe(async () => {
      throw new Error("async failure");
    });
    bus.subscribe((e) => void heard.push(e.sessionId));
    bus.emit(event);
    await bus.drain();
    expect(heard).toEqual(["s-1"]);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(["async failure", "sync failure"]);
  });

  it("when a listener is still working, then drain waits for it to finish", async () => {
    const bus = new SessionEventBus(() => undefined);
    let finished = false;
    bus.subscribe(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      finished = true;
    });
    bus.emit(event);
    await bus.drain();
    expect(finished).toBe(true);
  });

  it("when a listener subscribed to some event types, then it hears only those", async () => {
    const bus = new SessionEventBus(() => undefined);
    const heard: string[] = [];
    bus.subscribe((e) => void heard.push(e.type), ["deletedAtFace"]);
    bus.emit(event);
    bus.emit({ ...event, type: "deletedAtFace" });
    await bus.drain();
    expect(heard).toEqual(["deletedAtFace"]);
  });
});
