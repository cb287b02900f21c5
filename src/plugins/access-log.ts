/**
 * One access line per request, written when the answer is sent: method, path (never the query), status, duration,
 * request id and, once authenticated, the client. It replaces Fastify's two lines per request ("incoming request"
 * and "request completed"), through Fastify's own LogController, so a reply that fails mid-send still logs an error.
 *
 * Request loggers are lazy: Fastify makes a pino child per request (to bind reqId), and caller-auth another (to
 * bind clientId), which costs on every request although most requests log nothing but the access line, and that
 * line names its ids itself. A lazy child only becomes a pino child the first time it writes at an enabled level.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import type { Bindings, ChildLoggerOptions, Level, Logger } from "pino";

import { loggedPath } from "../logger.js";

/** What a lazy child needs of the logger it was made from: a pino logger, or another lazy child. */
type ParentLogger = Pick<Logger, "isLevelEnabled" | "level"> & { child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger };

const LEVELS: readonly Level[] = ["fatal", "error", "warn", "info", "debug", "trace"];

type LogFn = (...args: unknown[]) => void;

class LazyChildLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: ParentLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions | undefined,
  ) {}

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.materialize().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.real ? (this.real as unknown as Logger).isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return new LazyChildLogger(this, bindings, options) as unknown as FastifyBaseLogger;
  }

  silent(): void {}

  /** The pino child itself, made once, on the first line this logger writes. */
  private materialize(): FastifyBaseLogger {
    // A lazy parent's child() is lazy too: the real child hangs off the parent's real logger.
    const parent = this.parent instanceof LazyChildLogger ? this.parent.materialize() : this.parent;
    this.real ??= parent.child(this.bindings, this.options);
    return this.real;
  }

  static {
    for (const level of LEVELS) {
      (LazyChildLogger.prototype as unknown as Record<Level, LogFn>)[level] = function (this: LazyChildLogger, ...args: unknown[]) {
        if (!this.isLevelEnabled(level)) return;
        (this.materialize()[level] as LogFn)(...args);
      };
    }
  }
}

/**
 * The logger Fastify is given: the root logger itself (its levels, serializers and redaction, read through), with
 * lazy children. Fastify's root logger is a child of it, so the request loggers Fastify's own child factory makes
 * (bound to their reqId) are lazy too. A child factory of ours would do the same, but Fastify checks every logger a
 * custom factory makes for its methods, on every request.
 */
export function withLazyChildren(logger: Logger): FastifyBaseLogger {
  const root = Object.create(logger) as Logger;
  root.child = ((bindings: Bindings, options?: ChildLoggerOptions) => new LazyChildLogger(logger, bindings, options)) as unknown as Logger["child"];
  return root as unknown as FastifyBaseLogger;
}

function accessLine(request: FastifyRequest, reply: FastifyReply) {
  return {
    reqId: request.id,
    // Set by caller-auth on /v1 routes only.
    ...(request.clientId && { clientId: request.clientId }),
    method: request.method,
    path: loggedPath(request.url),
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 10) / 10,
  };
}

/**
 * Fastify's log controller, with the one access line per request written from the root logger. `completed` (the HTTP
 * metrics) runs for every answer too: Fastify calls requestCompleted right after the onResponse hooks, so this is
 * the same moment, without an onResponse hook on every request.
 */
export class AccessLogController extends LogController {
  constructor(
    private readonly logger: FastifyBaseLogger & Pick<Logger, "isLevelEnabled">,
    private readonly completed?: (request: FastifyRequest, reply: FastifyReply) => void,
  ) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    this.completed?.(request, reply);
    // The ids are fields of the line: a request logger would have to become a pino child to write it.
    if (error) this.logger.error({ ...accessLine(request, reply), err: error }, "request errored");
    else if (this.logger.isLevelEnabled("info")) this.logger.info(accessLine(request, reply), "request completed");
  }
}
