/**
 * Cross-replica signals over Redis pub/sub. Publishing uses the command connection; subscribing needs a connection
 * of its own (a subscribed connection can run nothing else), opened at the first subscribe and closed with the
 * state. ioredis re-subscribes after a reconnect; a message sent while disconnected is lost, which a signal may be
 * (see signal-bus.ts). Channels are under the key prefix, so deployments sharing a Redis do not hear each other.
 */
import type { Redis } from "ioredis";
import type { SignalBus } from "../signal-bus.js";
import type { RedisKeys } from "./redis-keys.js";

type Handler = (message: string) => void;

export class RedisSignalBus implements SignalBus {
  private subscriber: Redis | undefined;
  private closed = false;
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** A handler that threw, or the subscriber connection's own errors: one bad handler must not silence the rest. */
    private readonly onError: (error: unknown, source: string) => void = () => undefined,
  ) {}

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(this.keys.channel(channel), message);
  }

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    // A connection opened now would outlive the state that was meant to close it.
    if (this.closed) throw new Error("the state is closed: no new subscriptions");
    const name = this.keys.channel(channel);
    const subscriber = this.connection();
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      await subscriber.subscribe(name);
    }
    // A fresh wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry: Handler = (message) => handler(message);
    set.add(entry);
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      const current = this.handlers.get(name);
      current?.delete(entry);
      if (current && current.size === 0) {
        this.handlers.delete(name);
        await subscriber.unsubscribe(name);
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.handlers.clear();
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    // Named, so an operator's CLIENT LIST tells this deployment's subscriber apart. It queues its SUBSCRIBE until
    // connected even where the command connection refuses to queue: a subscription is not a request waiting on
    // Redis, and ioredis subscribes again by itself after every reconnect.
    const subscriber = this.redis.duplicate({ connectionName: `${this.keys.prefix}signals`, enableOfflineQueue: true });
    // ioredis prints an error event nobody listens to; the state's owner decides what to do with it instead.
    subscriber.on("error", (error: unknown) => this.onError(error, "redis subscriber"));
    subscriber.on("message", (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (error) {
          this.onError(error, `signal handler on ${channel.slice(this.keys.channel("").length)}`);
        }
      }
    });
    this.subscriber = subscriber;
    return subscriber;
  }
}
