/**
 * The in-process image store; images past their retention read as absent and are found by due(). Bounded by the
 * bytes held (put's maxBytes), per process.
 */
import type { Clock } from "../../lib/clock.js";
import type { DueImage, ImageStore, RetainedImage } from "../image-store.js";
import { DueIndex } from "./due-index.js";

export class MemoryImageStore implements ImageStore {
  private readonly images = new Map<string, RetainedImage>();
  private readonly index = new DueIndex((id) => this.images.get(id)?.retainUntil);
  /** The bytes held by every image in the map (an image past its retention may have dropped them already). */
  private heldBytes = 0;

  constructor(private readonly clock: Clock) {}

  async put(image: RetainedImage, maxBytes = Infinity): Promise<boolean> {
    const previous = this.images.get(image.sessionId)?.bytes.length ?? 0;
    if (this.heldBytes - previous + image.bytes.length > maxBytes) this.dropLapsedBytes();
    const held = this.heldBytes - (this.images.get(image.sessionId)?.bytes.length ?? 0);
    if (held + image.bytes.length > maxBytes) return false;
    this.images.set(image.sessionId, { ...image, bytes: Uint8Array.from(image.bytes) });
    this.heldBytes = held + image.bytes.length;
    this.index.push(image.sessionId, image.retainUntil);
    return true;
  }

  async get(sessionId: string): Promise<RetainedImage | undefined> {
    const image = this.images.get(sessionId);
    return image && image.retainUntil > this.clock.now() ? { ...image, bytes: Uint8Array.from(image.bytes) } : undefined;
  }

  async delete(sessionId: string): Promise<boolean> {
    this.heldBytes -= this.images.get(sessionId)?.bytes.length ?? 0;
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
    this.heldBytes = 0;
  }

  /**
   * An image past its retention already reads as absent; its bytes can go before the sweeper finds it (the entry
   * stays, so the sweeper still reports the deletion). A pass over the map, only when the store looks full.
   */
  private dropLapsedBytes(): void {
    const now = this.clock.now();
    for (const [id, image] of this.images) {
      if (image.retainUntil <= now && image.bytes.length > 0) {
        this.heldBytes -= image.bytes.length;
        this.images.set(id, { ...image, bytes: new Uint8Array(0) });
      }
    }
  }
}
