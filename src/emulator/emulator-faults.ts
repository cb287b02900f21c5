/**
 * The emulator's fault injector: holds the current plan and, per request, decides which faults it gets.
 * `EmulatorState.recordRequest` asks it after counting the request; the hooks in emulator-fault-hooks.ts apply it.
 * Deterministic when asked to be: `count` rules fire for the next N requests, and `rate` draws from a seeded PRNG.
 */
import { deviceOperations, managementOperations, type EmulatorOperation } from "./emulator-operations.js";
import { parseFaultPlan, type FaultPlan, type FaultRule } from "./emulator-fault-plan.js";

/** How a faulted request ends, if not normally. */
export type FaultEnd = { kind: "status"; status: 429 | 500 | 503; retryAfterSeconds?: number } | { kind: "reset" };

/** What happens in one phase of a request: added latency, then perhaps a fault instead of the normal answer. */
export interface FaultAction {
  latencyMs: number;
  end?: FaultEnd;
}

export interface FaultDecision {
  before: FaultAction;
  after: FaultAction;
}

export type FaultName = FaultRule["fault"];

interface ActiveRule {
  rule: FaultRule;
  injected: number;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG; plenty for "fail 20% of requests" and reproducible from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const management: ReadonlySet<EmulatorOperation> = new Set(managementOperations);
const device: ReadonlySet<EmulatorOperation> = new Set(deviceOperations);

function matches(rule: FaultRule, operation: EmulatorOperation): boolean {
  const { operations } = rule;
  if (operations === "all") return true;
  if (operations === "management") return management.has(operation);
  if (operations === "device") return device.has(operation);
  return operations.includes(operation);
}

function endOf(rule: FaultRule): FaultEnd | undefined {
  switch (rule.fault) {
    case "latency":
      return undefined;
    case "reset":
      return { kind: "reset" };
    case "500":
      return { kind: "status", status: 500 };
    default:
      return { kind: "status", status: Number(rule.fault) as 429 | 503, retryAfterSeconds: rule.retryAfterSeconds };
  }
}

export class EmulatorFaults {
  private rules: ActiveRule[] = [];
  private seed = 0;
  private random: () => number = mulberry32(0);
  private readonly injected: Record<FaultName, number> = { latency: 0, "429": 0, "500": 0, "503": 0, reset: 0 };
  /** "after" parts waiting for their request's onSend; weak, so an aborted request leaves nothing behind. */
  private readonly pendingAfter = new WeakMap<object, FaultAction>();

  /** Replaces the plan (validated; throws FaultPlanError) and restarts the PRNG. Injection totals are kept. */
  set(input: unknown): FaultPlan {
    const plan = parseFaultPlan(input);
    // Without a seed, pick one and report it (describe()), so a surprising run can be replayed.
    this.seed = plan.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.random = mulberry32(this.seed);
    this.rules = plan.rules.map((rule) => ({ rule, injected: 0 }));
    return { seed: this.seed, rules: plan.rules };
  }

  clear(): void {
    this.rules = [];
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** The plan with what each rule has injected so far, and totals per fault since the emulator started. */
  describe(): { seed: number; rules: Array<FaultRule & { injected: number }>; injected: Record<FaultName, number> } {
    return {
      seed: this.seed,
      rules: this.rules.map(({ rule, injected }) => ({ ...rule, injected })),
      injected: { ...this.injected },
    };
  }

  /** Keeps a decision's "after" part for the request's onSend hook, when there is one. */
  holdAfter(request: object, action: FaultAction): void {
    if (action.latencyMs > 0 || action.end) this.pendingAfter.set(request, action);
  }

  takeAfter(request: object): FaultAction | undefined {
    const action = this.pendingAfter.get(request);
    this.pendingAfter.delete(request);
    return action;
  }

  /**
   * Rules are read in order. Every latency rule that fires adds its delay; the first status/reset rule that fires
   * ends its phase (and a "before" end ends the request). A rule that cannot matter any more is skipped without
   * drawing from the PRNG or using up its count, so each rule's behaviour stays predictable.
   */
  decide(operation: EmulatorOperation): FaultDecision | undefined {
    if (this.rules.length === 0) return undefined;
    const decision: FaultDecision = { before: { latencyMs: 0 }, after: { latencyMs: 0 } };
    let fired = false;
    for (const active of this.rules) {
      const { rule } = active;
      if (!matches(rule, operation) || (rule.count !== undefined && active.injected >= rule.count)) continue;
      const end = endOf(rule);
      const action = decision[rule.phase];
      if (decision.before.end || (end && action.end)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      active.injected += 1;
      this.injected[rule.fault] += 1;
      fired = true;
      if (rule.fault === "latency") action.latencyMs += rule.ms;
      else action.end = end;
    }
    return fired ? decision : undefined;
  }
}
