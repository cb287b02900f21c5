import { useState } from "preact/hooks";
import { api, type WebhookEvents } from "../api/client.js";
import { formatTime } from "../format.js";
import { ErrorBox } from "./error-box.js";

const stateLabels = { pending: "Pending", delivered: "Delivered", failed: "Failed" } as const;

export function WebhookDeliveries({ sessionId, events, onChange }: { sessionId: string; events: WebhookEvents | undefined; onChange: () => void }) {
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);

  const redeliver = async () => {
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      const accepted = await api<{ webhookId: string; series: number }>(`/v1/sessions/${sessionId}/events/redeliver`, { method: "POST" });
      setNotice(`Redelivery ${accepted.series - 1} of ${accepted.webhookId} queued.`);
      onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!events) return <p class="muted">Loading webhook deliveries…</p>;
  return (
    <>
      {events.deliveries.length === 0 ? (
        <p class="muted">No webhook yet: one is sent when the decision settles, if the session has a callback URL.</p>
      ) : (
        events.deliveries.map((d) => (
          <article class="delivery" key={d.webhookId} aria-label={`Webhook ${d.webhookId}`}>
            <p>
              <code class="mono">{d.webhookId}</code> <span class={`badge badge-${d.state}`}>{stateLabels[d.state]}</span>
              {d.nextAttemptAt && <span class="muted"> next attempt {formatTime(d.nextAttemptAt)}</span>}
            </p>
            <table>
              <caption class="visually-hidden">Attempts of webhook {d.webhookId}</caption>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">When</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {d.attempts.map((a) => (
                  <tr key={a.attempt}>
                    <td data-label="Attempt">
                      {a.attempt}
                      {a.series > 1 ? ` (redelivery ${a.series - 1})` : ""}
                    </td>
                    <td data-label="When">{formatTime(a.at)}</td>
                    <td data-label="Result">
                      {a.statusCode ? `HTTP ${a.statusCode}` : ""} {a.error ?? ""} {a.final ? "(final)" : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        ))
      )}
      {events.deliveries.length > 0 && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void redeliver()}>
          Redeliver the latest webhook
        </button>
      )}
      <p role="status" class="muted">
        {notice}
      </p>
      <ErrorBox error={error} title="The webhook was not redelivered." />
    </>
  );
}
