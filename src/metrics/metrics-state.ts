/**
 * State-backend metrics: every store call counted and timed, by store and method, and its errors (Redis down, a
 * script refused). A wrapper around the State, so both backends are measured the same way and neither knows.
 */
import { performance } from "node:perf_hooks";
import type { Registry } from "prom-client";
import { CellCounter, CellHistogram } from "./metrics-cells.js";
import type { State } from "../state/state.js";

type Labels = { backend: string; store: string; operation: string };
/** One store method's cells, bound once (metrics-cells.ts): each call is then a count and an observation. */
type Observe = (started: number, ok: boolean) => void;
type Observer = (labels: Labels) => Observe;

type Method = (...args: unknown[]) => unknown;

/** Every function the store has, its own and its classes', by name (the constructor aside). */
function methodNames(store: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = store; level && level !== Object.prototype; level = Object.getPrototypeOf(level) as object | null) {
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(level))) {
      if (typeof descriptor.value === "function" && key !== "constructor") names.add(key);
    }
  }
  return [...names];
}

/**
 * Wraps each store's methods: every method the store has when it is wrapped is found by walking it, so the methods
 * of every interface are covered as they grow. The wrapped store is a plain object in front of the store: its own
 * properties are the wrapped methods, and anything else (a getter such as `size`) is read through to the store, its
 * prototype. (A Proxy did the same with a get trap, which ran on every store call: two or three per request.) Each
 * wrapper calls the store's method of the moment on the store itself, so a method replaced on the store is measured
 * too, and private fields keep working; its cells are bound once.
 */
function instrumentStore<T extends object>(store: T, name: string, backend: string, observer: Observer): T {
  const methods = store as unknown as Record<string, Method>;
  const front = Object.create(store) as Record<string, Method>;
  for (const method of methodNames(store)) {
    const observe = observer({ backend, store: name, operation: method });
    front[method] = (...args: unknown[]) => {
      const started = performance.now();
      let result: unknown;
      try {
        result = methods[method]!.apply(store, args);
      } catch (error) {
        observe(started, false);
        throw error;
      }
      if (!(result instanceof Promise)) {
        observe(started, true);
        return result;
      }
      /*
       * The store's own promise goes back to the caller, observed on the side: no derived promise for the caller to
       * wait on, so one microtask hop and one promise fewer per store call. The side handler is attached first, so it
       * still observes before the caller resumes, and it handles the rejection for its own branch only: the caller's
       * promise rejects as the store's did.
       */
      result.then(
        () => observe(started, true),
        () => observe(started, false),
      );
      return result;
    };
  }
  return front as T;
}

/** The same State, every store call measured; close(), backend and any extras (the memory backend's sweep) pass through. */
export function instrumentState<S extends State>(state: S, registry: Registry): S {
  const labelNames = ["backend", "store", "operation"] as const;
  const operations = new CellCounter({
    name: "lso_state_operations_total",
    help: "Calls to the state backend, by store and operation (ping: readiness).",
    labelNames,
    registers: [registry],
  });
  const errors = new CellCounter({
    name: "lso_state_errors_total",
    help: "State backend calls that failed (backend unreachable, a script refused), by store and operation.",
    labelNames,
    registers: [registry],
  });
  const duration = new CellHistogram({
    name: "lso_state_operation_duration_seconds",
    help: "Latency of state backend calls, by store and operation.",
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const backend = state.backend;
  const observe: Observer = (labels) => {
    const counted = operations.cell(labels);
    const failed = errors.cell(labels);
    const timed = duration.cell(labels);
    return (started, ok) => {
      counted.inc();
      if (!ok) failed.inc();
      timed.observe((performance.now() - started) / 1000);
    };
  };
  // Every store the state holds, named as the state names it: a store added to the State is measured at once.
  const stores = Object.fromEntries(
    Object.entries(state)
      // Stores only: plain values the state carries (the erasure receipt key, a Uint8Array) are handed out as they are.
      .filter((entry): entry is [string, object] => typeof entry[1] === "object" && entry[1] !== null && !ArrayBuffer.isView(entry[1]))
      .map(([name, store]) => [name, instrumentStore(store, name, backend, observe)]),
  );
  const ping = instrumentStore({ ping: () => state.ping() }, "state", backend, observe);
  return new Proxy(state, {
    get(target, property, receiver) {
      if (typeof property === "string" && property in stores) return stores[property];
      if (property === "ping") return ping.ping;
      return Reflect.get(target, property, receiver);
    },
  });
}
