/**
 * The periodic sweep (issue 6 §5): sessions whose token lapsed unused are settled (expired or abandoned) and deleted
 * at Face; failed Face deletions are retried; session images past their retention are deleted. Nothing biometric
 * outlives its retention. Single instance for now: with a shared store, each sweep would need a lease (one sweeper
 * at a time), or every instance would repeat the same Face calls.
 */
import { PeriodicTask } from "../lib/periodic-task.js";
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.js";
import type { SessionCleanup } from "./session-cleanup.js";
import type { SessionEvents } from "./session-events.js";
import type { ImageStore } from "./session-image-store.js";
import type { SessionRecord, SessionStore } from "./session-store.js";
import { SYSTEM_ACTOR_ID, type Actor, type SessionSync } from "./session-sync.js";

export interface SweeperDeps {
  store: SessionStore;
  images: ImageStore;
  sync: SessionSync;
  cleanup: SessionCleanup;
  events: SessionEvents;
  clock: Clock;
  log: FastifyBaseLogger;
}

const UNUSED = new Set(["expired", "abandoned"]);

export class SessionSweeper {
  private readonly task: PeriodicTask;
  private stopped = false;
  private readonly actor: Actor;

  constructor(
    private readonly deps: SweeperDeps,
    private readonly intervalMs: number,
  ) {
    this.actor = { id: SYSTEM_ACTOR_ID, log: deps.log };
    this.task = new PeriodicTask(
      () => this.sweep(),
      (error) => deps.log.warn({ err: error }, "session sweep failed"),
    );
  }

  start(): void {
    if (!this.stopped) this.task.start(this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.task.stop();
  }

  async sweep(): Promise<void> {
    for (const record of await this.deps.store.list()) {
      if (this.stopped) return;
      if (record.deletedAtFaceAt === undefined) await this.sweepSession(record);
    }
    await this.sweepImages();
  }

  private async sweepSession(record: SessionRecord): Promise<void> {
    const { sync, cleanup, clock, log } = this.deps;
    const lapsed = clock.now() >= record.authTokenExpiresAt;
    let current: SessionRecord | undefined = record;
    if (lapsed && !record.decision) {
      current = await sync.refresh(record.id, this.actor).catch((error: unknown) => {
        log.warn({ err: error, sessionId: record.id }, "could not settle a lapsed session");
        return undefined;
      });
    }
    if (!current) return;
    // After the lapse nothing at Face can change: with DELETE_AFTER_DECISION, a decision nobody read is deleted too
    // (the snapshot keeps answering GET), so no session outlives its token at Face for want of a reader.
    const lapsedAndDone = lapsed && current.decision && (UNUSED.has(current.decision.outcome) || cleanup.options.deleteAfterDecision);
    if (current.faceDeletionDue || lapsedAndDone) await cleanup.deleteAtFace(current.id, this.actor);
  }

  private async sweepImages(): Promise<void> {
    const { images, events, clock } = this.deps;
    for (const { sessionId, clientId } of await images.expired(clock.now())) {
      if (await images.delete(sessionId)) events.emit({ type: "imageDeleted", sessionId, clientId, at: clock.now(), actor: SYSTEM_ACTOR_ID });
    }
  }
}
