/** In-process signals: every subscriber of a channel hears each message, on a later tick (as over the network). */
import type { SignalBus } from "../signal-bus.js";

type Handler = (message: string) => void;

export class MemorySignalBus implements SignalBus {
  private readonly channels = new Map<string, Set<Handler>>();

  constructor(private readonly onHandlerError: (error: unknown) => void = () => undefined) {}

  async publish(channel: string, message: string): Promise<void> {
    for (const handler of [...(this.channels.get(channel) ?? [])]) {
      setImmediate(() => {
        try {
          handler(message);
        } catch (error) {
          this.onHandlerError(error);
        }
      });
    }
  }

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    // Each subscription is its own entry, so the same function subscribed twice is also unsubscribed one at a time.
    const entry: Handler = (message) => handler(message);
    let handlers = this.channels.get(channel);
    if (!handlers) this.channels.set(channel, (handlers = new Set()));
    handlers.add(entry);
    return async () => {
      handlers.delete(entry);
      if (!handlers.size && this.channels.get(channel) === handlers) this.channels.delete(channel);
    };
  }

  clear(): void {
    this.channels.clear();
  }
}
