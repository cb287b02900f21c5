import type { AuditEntry, AuditTrail } from "../api/client.js";
import { formatTime, outcomeLabels } from "../format.js";

const eventLabels: Record<AuditEntry["event"], string> = {
  created: "Session created",
  tokenIssued: "Auth token issued",
  attemptSeen: "Attempt seen",
  decided: "Decision settled",
  webhookDelivered: "Webhook delivered",
  webhookFailed: "Webhook attempt failed",
  deletedAtFace: "Deleted at Face",
  imageRetained: "Session image kept",
  imageDeleted: "Session image deleted",
  subjectErased: "Subject erased",
};

function detail(entry: AuditEntry): string {
  switch (entry.event) {
    case "tokenIssued":
      return `expires ${formatTime(entry.tokenExpiresAt)}`;
    case "attemptSeen":
      return `attempt ${entry.attemptId ?? "?"}: ${entry.attemptStatus ?? ""}`;
    case "decided":
      return `${entry.outcome ? outcomeLabels[entry.outcome] : ""}${entry.reasons?.length ? ` (${entry.reasons.map((r) => r.code).join(", ")})` : ""}${entry.digestCheck ? `; digest ${entry.digestCheck}` : ""}`;
    case "webhookDelivered":
    case "webhookFailed":
      return `attempt ${entry.webhookAttempt ?? "?"}${entry.httpStatus ? `, HTTP ${entry.httpStatus}` : ""}${entry.errorCode ? `, ${entry.errorCode}` : ""}${entry.final ? ", final" : ""}`;
    case "created":
      return entry.callbackOrigin ? `webhooks to ${entry.callbackOrigin}` : "";
    case "imageRetained":
      return `until ${formatTime(entry.retainUntil)}`;
    default:
      return "";
  }
}

/** The audit trail, oldest first, as a vertical timeline (an ordered list, so its order is announced too). */
export function AuditTimeline({ trail }: { trail: AuditTrail | undefined }) {
  if (!trail) return <p class="muted">Loading the audit trail…</p>;
  if (trail.entries.length === 0) return <p class="muted">Nothing recorded yet.</p>;
  return (
    <ol class="timeline">
      {trail.entries.map((entry, i) => (
        <li key={i} class={`timeline-${entry.event}`}>
          <time dateTime={entry.at}>{formatTime(entry.at)}</time>
          <span class="timeline-event">{eventLabels[entry.event]}</span>
          <span class="timeline-detail">{detail(entry)}</span>
          <span class="muted timeline-actor">by {entry.actor}</span>
        </li>
      ))}
    </ol>
  );
}
