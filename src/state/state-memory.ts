/**
 * The in-process state: right for one instance and for tests. Every store reads the one injected clock.
 */
import type { Clock } from "../lib/clock.js";
import type { State } from "./state.js";

export declare function createMemoryState(clock: Clock): State;
