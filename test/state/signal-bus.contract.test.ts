/** The SignalBus contract, for every backend: a message reaches every subscriber of its channel, and only those. */
import { describe, expect, it, vi } from "vitest";
import { backends, stateFixture } from "../helpers/state-backends.js";

describe.each(backends)("SignalBus ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const signals = () => ctx.state.signals;

  it("when a message is published, then every subscriber of the channel receives it, and no subscriber of another channel", async () => {
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    await signals().subscribe("sessions:settled", (m) => a.push(m));
    await signals().subscribe("sessions:settled", (m) => b.push(m));
    await signals().subscribe("elsewhere", (m) => other.push(m));
    await signals().publish("sessions:settled", "s1");
    await signals().publish("sessions:settled", "s2");
    await vi.waitFor(() => {
      expect(a).toEqual(["s1", "s2"]);
      expect(b).toEqual(["s1", "s2"]);
    });
    // A marker on the other channel, delivered after the two above, shows nothing else was coming its way.
    await signals().publish("elsewhere", "marker");
    await vi.waitFor(() => expect(other).toEqual(["marker"]));
  });

  it("when a subscriber unsubscribes, then it hears nothing more while the others still do", async () => {
    const gone: string[] = [];
    const stays: string[] = [];
    const unsubscribe = await signals().subscribe("c", (m) => gone.push(m));
    await signals().subscribe("c", (m) => stays.push(m));
    await unsubscribe();
    await signals().publish("c", "after");
    await vi.waitFor(() => expect(stays).toEqual(["after"]));
    expect(gone).toEqual([]);
  });

  it("when nobody listens, then publishing is harmless", async () => {
    await expect(signals().publish("nobody", "x")).resolves.toBeUndefined();
  });
});
