/**
 * The state backends every contract suite in test/state runs over, written once against the interfaces:
 * `describe.each(backends)("... ($name)", (backend) => { const ctx = stateFixture(backend); ... })`. A backend makes
 * a fresh, empty state on the test's ManualClock; each test gets its own and closes it.
 */
import { afterEach, beforeEach } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { createMemoryState } from "../../src/state/state-memory.js";
import type { State } from "../../src/state/state.js";

export interface StateBackend {
  name: string;
  /** A fresh state, empty as far as the test can tell, that reads `clock`. */
  create(clock: ManualClock): Promise<State>;
}

export const backends: StateBackend[] = [{ name: "memory", create: async (clock) => createMemoryState(clock) }];

export interface StateContext {
  state: State;
  clock: ManualClock;
}

/** A fresh state and clock per test (read them inside the test: they are replaced before each one). */
export function stateFixture(backend: StateBackend): StateContext {
  const ctx = {} as StateContext;
  beforeEach(async () => {
    ctx.clock = new ManualClock();
    ctx.state = await backend.create(ctx.clock);
  });
  afterEach(async () => {
    await ctx.state.close();
  });
  return ctx;
}
