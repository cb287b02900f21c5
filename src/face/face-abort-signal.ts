/**
 * The abort signal a Face call hands down, which its deadline aborts (face-call.ts). Every layer below takes an
 * AbortSignalLike: the SDK's pipeline (PipelineRequest.abortSignal), its bearer-token policy for Entra ID, our
 * transport, and undici, which takes any signal with addEventListener. A native AbortSignal costs more to make
 * than anything else a Face call does in JavaScript (its creation and undici's listener on it, about 4 µs), for a
 * signal that almost never fires.
 */
import type { PipelineRequest } from "@azure/core-rest-pipeline";

type AbortSignalLike = NonNullable<PipelineRequest["abortSignal"]>;
type AbortListener = Parameters<AbortSignalLike["addEventListener"]>[1];

export class FaceAbortSignal implements AbortSignalLike {
  aborted = false;
  private listeners: AbortListener[] = [];

  addEventListener(_type: "abort", listener: AbortListener): void {
    // As an EventTarget's: a listener added after the abort is never called.
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: AbortListener): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  /** Calls each listener once, in the order they were added; later calls do nothing. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener.call(this, { type: "abort" });
  }
}
