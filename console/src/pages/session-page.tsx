import { useState } from "preact/hooks";
import { api, type Session } from "../api/client.js";
import { formatTime, kindLabels } from "../format.js";
import { issuedTokens } from "../issued-tokens.js";
import { useLiveSession } from "../live-session.js";
import { AuditTimeline } from "../parts/audit-timeline.js";
import { DeviceSimulator } from "../parts/device-simulator.js";
import { ErrorBox } from "../parts/error-box.js";
import { OutcomeBadge } from "../parts/outcome-badge.js";
import { SessionImage } from "../parts/session-image.js";
import { WebhookDeliveries } from "../parts/webhook-deliveries.js";
import { hrefOf, navigate } from "../router.js";

function Facts({ session }: { session: Session }) {
  const rows: Array<[string, string]> = [
    ["Kind", kindLabels[session.kind]],
    ["Status at Face", session.status],
    ["Subject", session.subject ?? "none"],
    ["Device", session.deviceCorrelationId ?? "set by the device SDK"],
    ["Created", formatTime(session.createdAt)],
    ["Token expires", formatTime(session.authTokenExpiresAt)],
    ["Last read from Face", formatTime(session.checkedAt)],
  ];
  if (session.modelVersion) rows.push(["Model version", session.modelVersion]);
  return (
    <dl class="facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function DecisionPanel({ session }: { session: Session }) {
  const { decision } = session;
  return (
    <>
      <p class="decision-line">
        <OutcomeBadge outcome={decision.outcome} />{" "}
        {decision.decidedAt ? `settled ${formatTime(decision.decidedAt)}; it will not change.` : "not settled yet; it may still change."}
      </p>
      {decision.reasons.length > 0 && (
        <ul class="reasons">
          {decision.reasons.map((reason, i) => (
            <li key={i}>
              <code>{reason.code}</code>
              {reason.faceCode && <span class="muted"> (Face: {reason.faceCode})</span>}
              {reason.advice && <p class="advice">Advice for the end user: “{reason.advice}”</p>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Attempts({ session }: { session: Session }) {
  if (session.attempts.length === 0) return <p class="muted">No attempt yet.</p>;
  return (
    <table>
      <caption class="visually-hidden">Attempts, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Attempt</th>
          <th scope="col">Status</th>
          <th scope="col">Liveness</th>
          <th scope="col">Verify</th>
          <th scope="col">Error</th>
          <th scope="col">Digest</th>
        </tr>
      </thead>
      <tbody>
        {session.attempts.map((a) => (
          <tr key={a.attemptId}>
            <td data-label="Attempt">{a.attemptId}</td>
            <td data-label="Status">{a.status}</td>
            <td data-label="Liveness">{a.livenessDecision ?? "—"}</td>
            <td data-label="Verify">
              {a.verifyResult ? `${a.verifyResult.isIdentical ? "match" : "no match"}${a.verifyResult.matchConfidence !== undefined ? ` (${a.verifyResult.matchConfidence})` : ""}` : "—"}
            </td>
            <td data-label="Error">{a.error ? `${a.error.code}: ${a.error.message}` : "—"}</td>
            <td data-label="Digest" class="mono digest-cell">
              {a.digest ?? "—"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeleteSession({ id }: { id: string }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`/v1/sessions/${id}`, { method: "DELETE" });
      issuedTokens.forget(id);
      navigate(hrefOf.list());
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <>
      {confirming ? (
        <div class="actions" role="group" aria-label="Confirm deletion">
          <span>Delete this session at Face and here? This cannot be undone.</span>
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
            Yes, delete it
          </button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete session
        </button>
      )}
      <ErrorBox error={error} title="The session was not deleted." />
    </>
  );
}

export function SessionPage({ id, deviceSimulator, onUnauthorized }: { id: string; deviceSimulator: boolean; onUnauthorized: () => void }) {
  const live = useLiveSession(id, onUnauthorized);
  const { session } = live;
  if (live.gone) {
    return (
      <section>
        <h1 tabIndex={-1}>Session not found</h1>
        <p>
          There is no session <code class="mono">{id}</code> for your API key: it was deleted, has been forgotten, or belongs to another client.{" "}
          <a href={hrefOf.list()}>Back to the sessions</a>.
        </p>
      </section>
    );
  }
  return (
    <section>
      <p>
        <a href={hrefOf.list()}>← All sessions</a>
      </p>
      <h1 tabIndex={-1}>
        Session <span class="mono">{id}</span>
      </h1>
      <ErrorBox error={live.error} title="The session could not be read; retrying." />
      {!session ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <p class="muted live-note">Live: this page follows the session as it changes.</p>
          <div class="grid">
            <section aria-labelledby="h-decision" class="panel">
              <h2 id="h-decision">Decision</h2>
              <div aria-live="polite">
                <DecisionPanel session={session} />
              </div>
            </section>
            <section aria-labelledby="h-facts" class="panel">
              <h2 id="h-facts">Details</h2>
              <Facts session={session} />
            </section>
          </div>
          {deviceSimulator && !session.decision.decidedAt && (
            <section aria-labelledby="h-device" class="panel">
              <h2 id="h-device">Device simulator</h2>
              <DeviceSimulator session={session} onChange={live.refresh} />
            </section>
          )}
          <section aria-labelledby="h-attempts" class="panel">
            <h2 id="h-attempts">Attempts</h2>
            <Attempts session={session} />
          </section>
          {session.hasSessionImage && (
            <section aria-labelledby="h-image" class="panel">
              <h2 id="h-image">Session image</h2>
              <SessionImage sessionId={id} version={String(session.latestAttempt?.attemptId ?? 0)} />
            </section>
          )}
          <section aria-labelledby="h-audit" class="panel">
            <h2 id="h-audit">Audit trail</h2>
            <AuditTimeline trail={live.audit} />
          </section>
          <section aria-labelledby="h-webhooks" class="panel">
            <h2 id="h-webhooks">Webhook deliveries</h2>
            <WebhookDeliveries sessionId={id} events={live.events} onChange={live.refresh} />
          </section>
          <section aria-labelledby="h-delete" class="panel">
            <h2 id="h-delete">Delete</h2>
            <DeleteSession id={id} />
          </section>
        </>
      )}
    </section>
  );
}
