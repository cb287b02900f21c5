import { describe, expect, it } from "vitest";

import { FaceAbortSignal } from "../../src/face/face-abort-signal.js";

describe("a Face call's abort signal", () => {
  it("when aborted, then each listener is called once, in the order added, with the signal as this", () => {
    const signal = new FaceAbortSignal();
    const calls: string[] = [];
    signal.addEventListener("abort", function (this: unknown, event: { type: string }) {
      calls.push(`first ${event.type} ${this === signal}`);
    });
    signal.addEventListener("abort", () => calls.push("second"));
    signal.abort();
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(["first abort true", "second"]);
  });

  it("when a listener was removed, then the abort does not call it", () => {
    const signal = new FaceAbortSignal();
    const calls: string[] = [];
    const removed = () => calls.push("removed");
    signal.addEventListener("abort", removed);
    signal.addEventListener("abort", () => calls.push("kept"));
    signal.removeEventListener("abort", removed);
    signal.abort();
    expect(calls).toEqual(["kept"]);
  });

  it("when a listener is added after the abort, then it is never called, as on an EventTarget", () => {
    const signal = new FaceAbortSignal();
    signal.abort();
    const calls: string[] = [];
    signal.addEventListener("abort", () => calls.push("late"));
    signal.abort();
    expect(calls).toEqual([]);
  });

  it("when not aborted, then it says so", () => {
    expect(new FaceAbortSignal().aborted).toBe(false);
  });
});
