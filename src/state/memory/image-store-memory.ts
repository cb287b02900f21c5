/** The in-process image store; images past their retention read as absent and are found by due(). */
import type { Clock } from "../../lib/clock.js";
import type { DueImage, ImageStore, RetainedImage } from "../image-store.js";
import { DueIndex } from "./due-index.js";

export class MemoryImageStore implements ImageStore {
  private readonly images = new Map<string, RetainedImage>();
  private readonly index = new DueIndex((id) => this.images.get(id)?.retainUntil);

  constructor(private readonly clock: Clock) {}

  async put(image: RetainedImage): Promise<void> {
    this.images.set(image.sessionId, { ...image, bytes: Uint8Array.from(image.bytes) });
    this.index.push(image.sessionId, image.retainUntil);
  }

  async get(sessionId: string): Promise<RetainedImage | undefined> {
    const image = this.images.get(sessionId);
    return image && image.retainUntil > this.clock.now() ? { ...image, bytes: Uint8Array.from(image.bytes) } : undefined;
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.images.delete(sessionId);
  }

  async due(limit: number): Promise<DueImage[]> {
    const now = this.clock.now();
    // Taken ids leave the index; one the caller fails to delete is pushed back, so it is found again.
    const ids = this.index.takeDue(now, limit);
    for (const id of ids) this.index.push(id, this.images.get(id)!.retainUntil);
    this.index.compact(this.images.size);
    return ids.map((sessionId) => ({ sessionId, clientId: this.images.get(sessionId)!.clientId }));
  }

  clear(): void {
    this.images.clear();
    this.index.clear();
  }
}
