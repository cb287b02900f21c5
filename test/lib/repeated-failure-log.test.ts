/** A loop failing on every tick: one stack, then a counted line at most once a minute, then one recovery line. */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { QUIET_MS, RepeatedFailureLog } from "../../src/lib/repeated-failure-log.js";
import { CapturedLogs } from "../helpers/captured-logs.js";

function setup() {
  const logs = new CapturedLogs();
  const clock = new ManualClock(Date.parse("2026-01-01T00:00:00.000Z"));
  const failures = new RepeatedFailureLog(logs.logger("debug"), clock, "the loop");
  const lines = () => logs.records().map((r) => ({ level: r.level, msg: r.msg, stack: (r.err as { stack?: string } | undefined)?.stack !== undefined, failures: r.failures }));
  return { logs, clock, failures, lines };
}

describe("RepeatedFailureLog", () => {
  it("when a loop fails every second for three minutes, then it logs one stack, one counted line a minute, and nothing more", () => {
    const { clock, failures, lines } = setup();
    for (let tick = 0; tick < 180; tick += 1) {
      failures.failed(new Error("connection refused"));
      clock.advance(1000);
    }
    expect(lines()).toEqual([
      { level: 40, msg: "the loop failed", stack: true, failures: undefined },
      { level: 40, msg: "the loop still failing", stack: false, failures: 60 },
      { level: 40, msg: "the loop still failing", stack: false, failures: 60 },
    ]);
  });

  it("when the loop works again, then one info line says so with the count, and the next failure has its stack again", () => {
    const { clock, failures, lines, logs } = setup();
    failures.failed(new Error("down"));
    clock.advance(QUIET_MS / 2);
    failures.failed(new Error("down"));
    failures.succeeded();
    failures.succeeded();
    failures.failed(new Error("down again"));
    expect(lines().map((l) => [l.msg, l.stack])).toEqual([
      ["the loop failed", true],
      ["the loop recovered", false],
      ["the loop failed", true],
    ]);
    expect(logs.records()[1]).toMatchObject({ level: 30, failures: 2, failingMs: QUIET_MS / 2 });
  });

  it("when a loop never failed, then success logs nothing", () => {
    const { failures, lines } = setup();
    failures.succeeded();
    expect(lines()).toEqual([]);
  });

  it("when failures are counted, then reported tells a clean run from one that failed", () => {
    const { failures } = setup();
    const before = failures.reported;
    failures.failed(new Error("x"));
    expect(failures.reported).toBe(before + 1);
  });
});
