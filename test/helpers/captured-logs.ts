/** Every log line a logger writes, kept in memory so tests can search it (for ids that must be there, secrets that must not). */
import { Writable } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import { createLogger } from "../../src/logger.js";

export class CapturedLogs {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });

  /**
   * A logger that writes here: with the service's own options (redaction included), or, with `redact: false`, a
   * bare one, for tests proving that a component never *tries* to log a secret (redaction would hide that).
   */
  logger(level = "debug", { redact = true } = {}): FastifyBaseLogger {
    return (redact ? createLogger(level, this.stream) : pino({ level }, this.stream)) as unknown as FastifyBaseLogger;
  }

  get text(): string {
    return this.lines.join("\n");
  }

  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
