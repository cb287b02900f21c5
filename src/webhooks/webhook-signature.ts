/**
 * Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}`, one `v1=` per current secret so receivers keep
 * verifying while the secret rotates (they accept the request when any v1 matches one of their secrets). The
 * timestamp is signed too, so a captured request cannot be replayed later with a fresh `t=`.
 */
import { createHmac } from "node:crypto";

export const SIGNATURE_HEADER = "webhook-signature";

export function signPayload(secret: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
}

/** `t=<unix seconds>,v1=<hex>[,v1=<hex>]`, secrets newest first. */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  return [`t=${timestampSeconds}`, ...secrets.map((secret) => `v1=${signPayload(secret, timestampSeconds, body)}`)].join(",");
}
