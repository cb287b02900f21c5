/**
 * Session images kept after the session is deleted at Face (clients that opted in with enableSessionImage), each
 * for SESSION_IMAGE_RETENTION_SECONDS. Redis-shaped: one key per session with its own expiry. These are biometric
 * data: never logged, never kept past their retention (the sweeper deletes them and reports each deletion).
 */
export interface RetainedImage {
  sessionId: string;
  clientId: string;
  bytes: Uint8Array;
  /** epoch ms; past it the image reads as absent and the sweeper deletes it. */
  retainUntil: number;
}

export interface ImageStore {
  put(image: RetainedImage): Promise<void>;
  /** Undefined when absent or past its retention. */
  get(sessionId: string): Promise<RetainedImage | undefined>;
  /** True when an image was removed. */
  delete(sessionId: string): Promise<boolean>;
  /** Images whose retention ended but which are still held, so the sweeper can delete them and say so. */
  expired(now: number): Promise<Array<{ sessionId: string; clientId: string }>>;
  close(): Promise<void>;
}
