/**
 * Session images kept after the session is deleted at Face (clients that opted in with enableSessionImage), each
 * until its retainUntil. These are biometric data: never logged, encrypted at rest by a shared backend, and never
 * kept past their retention (background work deletes them, found through an index on retainUntil, and reports
 * each deletion).
 */
export interface RetainedImage {
  sessionId: string;
  clientId: string;
  bytes: Uint8Array;
  /** epoch ms; past it the image reads as absent and is due for deletion. */
  retainUntil: number;
}

export interface DueImage {
  sessionId: string;
  clientId: string;
}

export interface ImageStore {
  /**
   * Keeps the image (replacing one kept for the same session) unless the images held would then pass `maxBytes`
   * (their bytes as given, before sealing): false, and nothing written, when it does not fit. Images whose
   * retention ended count no more, deleted yet or not. Images already kept are never evicted to make room. The
   * memory backend counts per process; Redis counts for every replica together, atomically with the write.
   */
  put(image: RetainedImage, maxBytes?: number): Promise<boolean>;
  /** Undefined when absent or past its retention. */
  get(sessionId: string): Promise<RetainedImage | undefined>;
  /** True when an image was removed. */
  delete(sessionId: string): Promise<boolean>;
  /** Up to `limit` images whose retainUntil <= now and which are still held, earliest first, from an index. */
  due(limit: number): Promise<DueImage[]>;
}
