/**
 * Verifying the session.decided webhook on your receiver, in the Standard Webhooks format the server signs with:
 * headers webhook-id, webhook-timestamp and webhook-signature (`v1,<base64>` HMAC-SHA256 of `id.timestamp.body`,
 * space separated while the secret rotates), whsec_ secrets. Delegates to the `standardwebhooks` package, which
 * also refuses a timestamp more than 5 minutes away from now (replays).
 * @see https://www.standardwebhooks.com/
 */
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import type { components } from "./openapi-types.js";

export { WebhookVerificationError };

export type WebhookEvent = components["schemas"]["WebhookEvent"];

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  /** The raw body exactly as received, before any JSON parsing: a re-serialised body no longer matches. */
  body: string;
  headers: WebhookHeaders;
  /** Your whsec_ secret; while it rotates, the new and the old one (either may have signed). */
  secrets: string | readonly string[];
}

const NAMES = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

function headerRecord(headers: WebhookHeaders): Record<string, string> {
  const read = (name: string) => {
    if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    // A repeated header is not a valid signature header; keep it whole so verification fails rather than guesses.
    return Array.isArray(entry) ? entry.join(", ") : entry;
  };
  return Object.fromEntries(NAMES.map((name) => [name, read(name) ?? ""]));
}

/** Returns the verified event, or throws WebhookVerificationError: then answer 4xx and do not act on the body. */
export function verifyWebhook({ body, headers, secrets }: VerifyWebhookInput): WebhookEvent {
  const record = headerRecord(headers);
  const candidates = typeof secrets === "string" ? [secrets] : secrets;
  if (candidates.length === 0) throw new WebhookVerificationError("No secret to verify with");
  let failure: unknown;
  for (const secret of candidates) {
    try {
      return new Webhook(secret).verify(body, record) as WebhookEvent;
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
