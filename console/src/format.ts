import type { Outcome } from "./api/client.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export const formatTime = (iso: string | null | undefined): string => (iso ? dateTime.format(new Date(iso)) : "—");

export const outcomeLabels: Record<Outcome, string> = {
  approved: "Approved",
  declined: "Declined",
  retry: "Retry",
  review: "Needs review",
  pending: "Pending",
  expired: "Expired",
  abandoned: "Abandoned",
};

export const kindLabels = { liveness: "Liveness", livenessWithVerify: "Liveness with verify" } as const;

/** A datetime-local value (local time, no zone) as the ISO instant the API wants; "" stays unset. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The reverse, for filling the inputs back from the URL. */
export function isoToLocal(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
