import { describe, expect, it } from "vitest";

import { EmulatorConfigError, loadEmulatorConfig } from "../../src/emulator/emulator-config.js";
import { FaultPlanError, parseFaultPlan } from "../../src/emulator/emulator-fault-plan.js";
import { EmulatorFaults } from "../../src/emulator/emulator-faults.js";
import type { EmulatorOperation } from "../../src/emulator/emulator-state.js";

const ends = (faults: EmulatorFaults, operation: EmulatorOperation, times: number) =>
  Array.from({ length: times }, () => {
    const decision = faults.decide(operation);
    return decision?.before.end ?? decision?.after.end;
  });

describe("emulator fault plan", () => {
  it("when given a bare list of rules, then defaults are filled in", () => {
    expect(parseFaultPlan([{ fault: "503" }])).toEqual({
      rules: [{ fault: "503", retryAfterSeconds: 1, operations: "all", phase: "before" }],
    });
  });

  it.each([
    [[{ fault: "404" }], "0.fault"],
    [{ rules: [{ fault: "latency" }] }, "rules.0.ms"],
    [{ rules: [{ fault: "500", operations: ["detectFaces"] }] }, "rules.0.operations"],
    [{ rules: [{ fault: "500", rate: 2 }] }, "rules.0.rate"],
    [{ rules: [{ fault: "500", typo: true }] }, "rules.0"],
  ])("when a plan is wrong (%j), then the error names the path %s", (plan, path) => {
    expect(() => parseFaultPlan(plan)).toThrow(FaultPlanError);
    expect(() => parseFaultPlan(plan)).toThrow(path);
  });

  it("when FACE_EMULATOR_FAULTS holds a JSON plan, then the config carries it parsed", () => {
    const config = loadEmulatorConfig({ FACE_EMULATOR_FAULTS: '{"seed":3,"rules":[{"fault":"429","rate":0.5}]}' });
    expect(config.FACE_EMULATOR_FAULTS).toEqual({
      seed: 3,
      rules: [{ fault: "429", rate: 0.5, retryAfterSeconds: 1, operations: "all", phase: "before" }],
    });
  });

  it.each(["not json", '[{"fault":"teapot"}]'])("when FACE_EMULATOR_FAULTS is %j, then the error names the variable", (value) => {
    expect(() => loadEmulatorConfig({ FACE_EMULATOR_FAULTS: value })).toThrow(EmulatorConfigError);
    expect(() => loadEmulatorConfig({ FACE_EMULATOR_FAULTS: value })).toThrow("FACE_EMULATOR_FAULTS");
  });
});

describe("emulator fault decisions", () => {
  it("when a rule has a count, then it fires for exactly the next N matching requests", () => {
    const faults = new EmulatorFaults();
    faults.set([{ fault: "500", count: 2, operations: ["getLivenessSession"] }]);
    expect(faults.decide("deleteLivenessSession")).toBeUndefined();
    expect(ends(faults, "getLivenessSession", 3)).toEqual([{ kind: "status", status: 500 }, { kind: "status", status: 500 }, undefined]);
    expect(faults.describe().rules[0]?.injected).toBe(2);
  });

  it("when rules use a rate with the same seed, then the same requests are faulted", () => {
    const plan = { seed: 42, rules: [{ fault: "503" as const, rate: 0.3 }] };
    const [a, b] = [new EmulatorFaults(), new EmulatorFaults()];
    a.set(plan);
    b.set(plan);
    const first = ends(a, "getLivenessSession", 50);
    expect(ends(b, "getLivenessSession", 50)).toEqual(first);
    const faulted = first.filter(Boolean).length;
    expect(faulted).toBeGreaterThan(0);
    expect(faulted).toBeLessThan(50);
  });

  it("when several rules match, then latencies add up and the first failure wins without using up later rules", () => {
    const faults = new EmulatorFaults();
    faults.set([
      { fault: "latency", ms: 100 },
      { fault: "latency", ms: 50 },
      { fault: "429", retryAfterSeconds: 3, count: 1 },
      { fault: "reset", count: 1, phase: "after" },
      { fault: "500", count: 1 },
    ]);
    expect(faults.decide("createLivenessSession")).toEqual({
      before: { latencyMs: 150, end: { kind: "status", status: 429, retryAfterSeconds: 3 } },
      after: { latencyMs: 0 },
    });
    expect(faults.describe().rules.map((r) => r.injected)).toEqual([1, 1, 1, 0, 0]);
  });

  it("when rules target device or management operations, then only those get them", () => {
    const faults = new EmulatorFaults();
    faults.set([{ fault: "503", operations: "device" }]);
    expect(faults.decide("deviceDetectLiveness")).toBeDefined();
    expect(faults.decide("createLivenessSession")).toBeUndefined();
    faults.set([{ fault: "503", operations: "management" }]);
    expect(faults.decide("deviceDetectLivenessWithVerify")).toBeUndefined();
    expect(faults.decide("getSessionImage")).toBeDefined();
    faults.clear();
    expect(faults.decide("getSessionImage")).toBeUndefined();
    expect(faults.describe().injected).toMatchObject({ "503": 2 });
  });
});
