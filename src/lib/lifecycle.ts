/**
 * Where this replica is in its life, as the probes report it. server.ts starts the drain on SIGTERM: from then on
 * /readyz answers 503 and responses carry `Connection: close`, while requests are still served until the server
 * stops accepting.
 */
export class Lifecycle {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Idempotent: a second signal does not restart the drain. */
  startDraining(at: number = Date.now()): void {
    this.drainingSince ??= at;
  }
}

declare module "fastify" {
  interface FastifyInstance {
    /** The replica's lifecycle: server.ts calls startDraining() on SIGTERM. */
    lifecycle: Lifecycle;
  }
}
