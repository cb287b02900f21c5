/**
 * The state, measured: every store call counted by store and operation, failures counted as errors, and everything
 * that is not a store (the backend's name, the receipt key's bytes, close) passed through untouched.
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { instrumentState } from "../../src/metrics/metrics-state.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import { metric } from "../helpers/metrics-text.js";

describe("instrumentState", () => {
  it("when stores are called, then each call is counted by store and operation, and a failure as an error too", async () => {
    const registry = new Registry();
    const memory = createMemoryState(new ManualClock());
    const state = instrumentState({ ...memory, ping: () => Promise.reject(new Error("backend down")) }, registry);
    expect(await state.sessions.get("nope")).toBeUndefined();
    expect(await state.outbox.stats()).toEqual({ pending: 0, due: 0 });
    await expect(state.ping()).rejects.toThrow("backend down");
    const text = await registry.metrics();
    expect(metric(text, "lso_state_operations_total", { backend: "memory", store: "sessions", operation: "get" })).toBe(1);
    expect(metric(text, "lso_state_operations_total", { store: "outbox", operation: "stats" })).toBe(1);
    expect(metric(text, "lso_state_errors_total", { store: "state", operation: "ping" })).toBe(1);
    expect(metric(text, "lso_state_errors_total", { store: "sessions" })).toBeUndefined();
    expect(metric(text, "lso_state_operation_duration_seconds_count", { store: "sessions", operation: "get" })).toBe(1);
    await state.close();
  });

  it("when what is not a store is read, then it is the state's own value: the backend, the receipt key's bytes", () => {
    const memory = createMemoryState(new ManualClock());
    const state = instrumentState(memory, new Registry());
    expect(state.backend).toBe("memory");
    expect(state.receiptKey).toBe(memory.receiptKey);
    expect(state.sessions).not.toBe(memory.sessions);
  });

  it("when a store's getter is read or its method is replaced after wrapping, then the getter reads the store and the new method is called and counted", async () => {
    const registry = new Registry();
    const memory = createMemoryState(new ManualClock());
    const state = instrumentState(memory, registry);
    expect(state.rateLimits.consume("ip:a", 5, 60_000)).toMatchObject({ allowed: true, remaining: 4 });
    expect((state.rateLimits as typeof memory.rateLimits).size).toBe(1);
    memory.rateLimits.consume = () => ({ allowed: false, remaining: 0, resetInMs: 1000 });
    expect(state.rateLimits.consume("ip:a", 5, 60_000)).toMatchObject({ allowed: false });
    const text = await registry.metrics();
    expect(metric(text, "lso_state_operations_total", { store: "rateLimits", operation: "consume" })).toBe(2);
    await state.close();
  });
});
