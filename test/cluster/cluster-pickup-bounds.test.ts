/**
 * The crash bounds of the production defaults: how long after a replica dies (kill -9) another one takes over each
 * kind of work it held, whatever the token's life. Each is a sum of constants (and WEBHOOK_TIMEOUT_MS at its
 * largest), the same sums as the table in docs/state.md ("Replicas"), and each stays within 30 s.
 * test/cluster/cluster-crash.test.ts shows them with real processes.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { CLAIM_LEASE_MS, WATCH_DEFER_MS } from "../../src/sessions/session-background.js";
import { LEASE_SLACK_MS, LONG_POLL_INTERVALS } from "../../src/sessions/session-poll-hub.js";
import { MAX_TICK_MS } from "../../src/sessions/session-runtime.js";
import { DELETION_PICKUP_MS } from "../../src/sessions/session-schedule.js";
import { DEFAULT_POLL_INTERVAL_MS, LEASE_MARGIN_MS } from "../../src/webhooks/webhook-worker.js";

const BOUND_MS = 30_000;
/** A dead long-poll loop's lease lapses at most this long after its last renewal. */
const POLL_LEASE_MS = LONG_POLL_INTERVALS.maxMs + LEASE_SLACK_MS;

describe("crash bounds with the production defaults", () => {
  it("when the replica polling Face for a long-poll dies, then a survivor's long-poll reads Face within 30 s: the lease's lapse plus a follower's look", () => {
    expect(POLL_LEASE_MS + LONG_POLL_INTERVALS.minMs).toBeLessThanOrEqual(BOUND_MS);
  });

  it("when a replica dies holding a session's background claim (watcher read, lapse settle, Face deletion), then another claims it within 30 s", () => {
    expect(CLAIM_LEASE_MS + MAX_TICK_MS).toBeLessThanOrEqual(BOUND_MS);
  });

  it("when a replica long-polling a watched session dies, then the watcher reads it within 30 s, however far its backoff grew", () => {
    expect(POLL_LEASE_MS + WATCH_DEFER_MS + MAX_TICK_MS).toBeLessThanOrEqual(BOUND_MS);
  });

  it("when the replica deleting a read decision at Face dies, then the background loop deletes it within 30 s", () => {
    expect(DELETION_PICKUP_MS + MAX_TICK_MS).toBeLessThanOrEqual(BOUND_MS);
  });

  it("when a replica dies mid-attempt on a webhook, then another sends it within 30 s, even at the largest WEBHOOK_TIMEOUT_MS", () => {
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: "20001", SHUTDOWN_TIMEOUT_MS: "60000" })).toThrow(/WEBHOOK_TIMEOUT_MS: /);
    const largest = loadConfig({ WEBHOOK_TIMEOUT_MS: "20000", SHUTDOWN_TIMEOUT_MS: "60000" }).webhooks.timeoutMs;
    expect(largest + LEASE_MARGIN_MS + DEFAULT_POLL_INTERVAL_MS).toBeLessThanOrEqual(BOUND_MS);
  });
});
