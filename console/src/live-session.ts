/**
 * Follows one session live: a long-poll on GET /v1/sessions/{id}?waitSeconds= while the decision can still
 * change (the server answers as soon as the view differs from the ETag sent: a status, an attempt, the decision;
 * else after the wait), with the ETag so an unchanged view costs a 304. The audit trail and webhook deliveries are re-read whenever the view changes, and every few seconds while a
 * delivery is still pending. refresh() lets an action (a device attempt, a digest) show its effect at once.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, getIfChanged, type AuditTrail, type Session, type WebhookEvents } from "./api/client.js";

const WAIT_SECONDS = 20;
const DELIVERY_POLL_MS = 2000;
const RETRY_AFTER_ERROR_MS = 3000;

export interface LiveSession {
  session?: Session;
  audit?: AuditTrail;
  events?: WebhookEvents;
  error?: unknown;
  /** The session is gone (deleted, or never ours). */
  gone: boolean;
  refresh: () => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export function useLiveSession(id: string, onUnauthorized: () => void): LiveSession {
  const [session, setSession] = useState<Session>();
  const [audit, setAudit] = useState<AuditTrail>();
  const [events, setEvents] = useState<WebhookEvents>();
  const [error, setError] = useState<unknown>();
  const [gone, setGone] = useState(false);
  // Bumping this restarts the loop: the next read is immediate (waitSeconds=0).
  const [generation, setGeneration] = useState(0);
  const etag = useRef<string | undefined>(undefined);

  const readSidePanels = useCallback(
    async (signal: AbortSignal) => {
      const [trail, deliveries] = await Promise.all([
        api<AuditTrail>(`/v1/sessions/${id}/audit`, { signal }),
        api<WebhookEvents>(`/v1/sessions/${id}/events`, { signal }),
      ]);
      setAudit(trail);
      setEvents(deliveries);
      return deliveries.deliveries.some((d) => d.state === "pending");
    },
    [id],
  );

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      let first = true;
      let settled = false;
      while (!signal.aborted) {
        try {
          if (!settled) {
            const wait = first ? 0 : WAIT_SECONDS;
            const read = await getIfChanged<Session>(`/v1/sessions/${id}?waitSeconds=${wait}`, etag.current, signal);
            first = false;
            if (read) {
              etag.current = read.etag;
              setSession(read.body);
              settled = read.body.decision.decidedAt !== null;
            }
          }
          setError(undefined);
          const pending = await readSidePanels(signal);
          // Settled and nothing left in flight: the page has nothing more to follow.
          if (settled && !pending) return;
          if (settled) await sleep(DELIVERY_POLL_MS, signal);
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof ApiError && e.status === 404) return setGone(true);
          if (e instanceof ApiError && e.status === 401) return onUnauthorized();
          setError(e);
          await sleep(RETRY_AFTER_ERROR_MS, signal);
        }
      }
    })();
    return () => controller.abort();
  }, [id, generation]);

  const refresh = useCallback(() => {
    etag.current = undefined;
    setGeneration((g) => g + 1);
  }, []);

  return { session, audit, events, error, gone, refresh };
}
