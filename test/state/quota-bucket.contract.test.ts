/**
 * The QuotaBucket contract, for every backend: Face's quota as token-bucket lanes per Face resource, taken all
 * lanes or none, and Face's Retry-After pause held for every taker. The test's ManualClock is the bucket's clock.
 */
import { describe, expect, it } from "vitest";
import type { QuotaLane } from "../../src/state/state.js";
import { backends, stateFixture } from "../helpers/state-backends.js";

const RESOURCE = "face-s0.cognitiveservices.azure.com";
const face = (ratePerSec: number, burst = 1): QuotaLane => ({ name: "face", ratePerSec, burst });
const background = (ratePerSec: number): QuotaLane => ({ name: "background", ratePerSec, burst: 1 });

describe.each(backends)("QuotaBucket ($name)", (backend) => {
  const ctx = stateFixture(backend);
  const bucket = () => ctx.state.quota;

  it("when a lane has tokens, then takes are granted until it is empty, then refused with the wait for the next token", async () => {
    const lanes = [face(2, 3)];
    for (let i = 0; i < 3; i++) expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: true });
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: false, retryInMs: 500, heldBy: "face" });
    ctx.clock.advance(499);
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: false, retryInMs: 1, heldBy: "face" });
    ctx.clock.advance(1);
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: true });
  });

  it("when time passes, then tokens accrue at the rate and never beyond the burst", async () => {
    const lanes = [face(10, 2)];
    await bucket().take(RESOURCE, lanes);
    await bucket().take(RESOURCE, lanes);
    ctx.clock.advance(60_000);
    const granted = [];
    for (let i = 0; i < 4; i++) granted.push((await bucket().take(RESOURCE, lanes)).granted);
    expect(granted).toEqual([true, true, false, false]);
  });

  it("when a call draws on two lanes, then it is granted only when both have a token, and a refusal charges neither", async () => {
    expect(await bucket().take(RESOURCE, [face(10), background(1)])).toEqual({ granted: true });
    ctx.clock.advance(100);
    expect(await bucket().take(RESOURCE, [face(10), background(1)])).toEqual({ granted: false, retryInMs: 900, heldBy: "background" });
    // The refused take left the face lane's token where it was.
    expect(await bucket().take(RESOURCE, [face(10)])).toEqual({ granted: true });
    expect(await bucket().take(RESOURCE, [face(10)])).toEqual({ granted: false, retryInMs: 100, heldBy: "face" });
  });

  it("when a take must leave a reserve, then it waits for the reserve plus one, and a take without one may spend it", async () => {
    const reserving: QuotaLane[] = [{ ...face(10, 1.5), reserve: 0.5 }];
    const spending = [face(10, 1.5)];
    expect(await bucket().take(RESOURCE, reserving)).toEqual({ granted: true });
    // Half a token left, the reserve: a reserving take waits for one and a half, a spending one for one.
    expect(await bucket().take(RESOURCE, reserving)).toEqual({ granted: false, retryInMs: 100, heldBy: "face" });
    expect(await bucket().take(RESOURCE, spending)).toEqual({ granted: false, retryInMs: 50, heldBy: "face" });
    ctx.clock.advance(50);
    expect(await bucket().take(RESOURCE, spending)).toEqual({ granted: true });
    expect(await bucket().take(RESOURCE, reserving)).toEqual({ granted: false, retryInMs: 150, heldBy: "face" });
    ctx.clock.advance(150);
    expect(await bucket().take(RESOURCE, reserving)).toEqual({ granted: true });
  });

  it("when takes race, then no more are granted than the bucket holds", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => bucket().take(RESOURCE, [face(10, 5)])));
    expect(results.filter((r) => r.granted)).toHaveLength(5);
  });

  it("when Face's pause is set, then every take waits for its end, and the lanes resume with one token and then the rate", async () => {
    const lanes = [face(10, 5)];
    expect(await bucket().pause(RESOURCE, 2000)).toEqual({ grew: true, until: ctx.clock.now() + 2000 });
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: false, retryInMs: 2000, heldBy: "pause" });
    ctx.clock.advance(1500);
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: false, retryInMs: 500, heldBy: "pause" });
    ctx.clock.advance(500);
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: true });
    // Not a burst of five into a Face that just throttled us.
    expect(await bucket().take(RESOURCE, lanes)).toEqual({ granted: false, retryInMs: 100, heldBy: "face" });
  });

  it("when a shorter pause follows a longer one, then the pause stays as long as it was", async () => {
    const until = ctx.clock.now() + 5000;
    await bucket().pause(RESOURCE, 5000);
    ctx.clock.advance(1000);
    expect(await bucket().pause(RESOURCE, 1000)).toEqual({ grew: false, until });
    expect(await bucket().pause(RESOURCE, 4001)).toEqual({ grew: true, until: until + 1 });
  });

  it("when resources differ, then neither their tokens nor their pauses mix", async () => {
    await bucket().take(RESOURCE, [face(1)]);
    await bucket().pause(RESOURCE, 10_000);
    expect(await bucket().take("face-other.cognitiveservices.azure.com", [face(1)])).toEqual({ granted: true });
    expect(await bucket().take("127.0.0.1:5001", [face(1)])).toEqual({ granted: true });
  });

  it("when the rate is below one a second (F0), then the wait is whole milliseconds", async () => {
    await bucket().take(RESOURCE, [face(0.33)]);
    expect(await bucket().take(RESOURCE, [face(0.33)])).toEqual({ granted: false, retryInMs: 3031, heldBy: "face" });
  });
});
