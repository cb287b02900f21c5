/**
 * Cross-replica wake-ups: "session X settled" reaches the replica holding the long-poll for X. Fire and forget:
 * a message published while nobody listens is lost, so a signal only ever shortens a wait that polling would end
 * anyway. Redis: PUBLISH, and SUBSCRIBE on a dedicated connection opened at the first subscribe.
 */
export interface SignalBus {
  publish(channel: string, message: string): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
}
