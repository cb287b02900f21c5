/**
 * The one error the state layer throws when its backend cannot be reached (Redis down, failing over, refusing our
 * credentials, too slow): the error handler answers it with 503 LSO_ERR_STATE_UNAVAILABLE and Retry-After, and
 * background work logs it and tries again on its next round. Any other error from a store is a bug.
 *
 * It carries a short reason (the driver's message and code), never the driver's error object: ioredis attaches the
 * failed command and its arguments to its errors, and those may hold a password (AUTH) or stored values.
 */
export class StateUnavailableError extends Error {
  readonly code = "STATE_UNAVAILABLE";

  constructor(
    readonly backend: "memory" | "redis",
    /** What the driver said, e.g. "connect ECONNREFUSED 10.0.0.4:6380" or "Command timed out"; safe to log. */
    readonly reason: string,
  ) {
    super(`The ${backend} state is unavailable: ${reason}`);
    this.name = "StateUnavailableError";
  }
}

export function isStateUnavailable(error: unknown): error is StateUnavailableError {
  return error instanceof StateUnavailableError;
}
