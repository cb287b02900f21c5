/** The in-process ImageStore: right for one instance and for tests. */
import { systemClock, type Clock } from "../lib/clock.js";
import type { ImageStore, RetainedImage } from "./session-image-store.js";

export class MemoryImageStore implements ImageStore {
  private readonly images = new Map<string, RetainedImage>();

  constructor(private readonly clock: Clock = systemClock) {}

  async put(image: RetainedImage): Promise<void> {
    this.images.set(image.sessionId, { ...image, bytes: Uint8Array.from(image.bytes) });
  }

  async get(sessionId: string): Promise<RetainedImage | undefined> {
    const image = this.images.get(sessionId);
    return image && image.retainUntil > this.clock.now() ? { ...image } : undefined;
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.images.delete(sessionId);
  }

  async expired(now: number): Promise<Array<{ sessionId: string; clientId: string }>> {
    return [...this.images.values()].filter((i) => i.retainUntil <= now).map(({ sessionId, clientId }) => ({ sessionId, clientId }));
  }

  async close(): Promise<void> {
    this.images.clear();
  }
}
