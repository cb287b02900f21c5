/**
 * Serving a registry: the Prometheus text format, and the METRICS_TOKEN check. The token is compared as SHA-256
 * digests in constant time, so neither its length nor its prefix leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Registry } from "prom-client";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** A check of the Authorization header: always true without a token; else true only for `Bearer <token>`. */
export function bearerCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

export async function exposition(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
