/**
 * Webhook signatures in the Standard Webhooks scheme, made by its reference library so any receiver library (the
 * `standardwebhooks` packages, svix) verifies them: HMAC-SHA256 over `${id}.${timestamp}.${body}`, sent as
 * `webhook-signature: v1,<base64>`, one per current secret, newest first, space separated. A receiver accepts the
 * request when any signature matches one of its secrets, so deliveries keep verifying while the secret rotates.
 * The id and the timestamp are signed too: neither can be swapped to replay a captured request as a new one.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { Webhook } from "standardwebhooks";

/** `v1,<base64>[ v1,<base64>]`, one per secret (`whsec_…`), in the order given (newest first). */
export function signatureHeader(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: string): string {
  const at = new Date(timestampSeconds * 1000);
  return secrets.map((secret) => new Webhook(secret).sign(webhookId, at, body)).join(" ");
}

export interface DeliveryHeaderInput {
  /** Current signing secrets, newest first; at least one. */
  secrets: readonly string[];
  webhookId: string;
  attempt: number;
  /** Each attempt is signed afresh at its own time, so a retry hours later is still within receivers' tolerance. */
  timestampSeconds: number;
  body: string;
  userAgent: string;
}

/** Every header of one delivery attempt. */
export function deliveryHeaders(input: DeliveryHeaderInput): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": input.userAgent,
    "webhook-id": input.webhookId,
    "webhook-timestamp": String(input.timestampSeconds),
    "webhook-signature": signatureHeader(input.secrets, input.webhookId, input.timestampSeconds, input.body),
    // Ours, outside the standard: receivers ignore it; it ties a request to the attempt in the delivery log.
    "webhook-attempt": String(input.attempt),
  };
}
