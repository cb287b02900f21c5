import type { Outcome } from "../api/client.js";
import { outcomeLabels } from "../format.js";

export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return <span class={`badge badge-${outcome}`}>{outcomeLabels[outcome]}</span>;
}
