/**
 * The shared Face quota: the guard's QuotaBucket (declared in face/, which must not import state/) as a store of
 * the state layer, so every replica on one state takes its Face tokens from one bucket per Face resource.
 *
 * Unlike the other stores, the bucket does not follow the state's clock by default: Face counts its quota in real
 * time, and a test that freezes the session clock must not freeze the pacing with it. The state factories take a
 * `quotaClock` for the contract suites, which move time by hand.
 */
export type { QuotaBucket, QuotaGrant, QuotaHold, QuotaLane, QuotaPause } from "../face/face-guard-quota.js";
export { PAUSE_HOLD } from "../face/face-guard-quota.js";
