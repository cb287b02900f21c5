/**
 * Redis connection URLs (REDIS_URL, or the Key Vault secret named by REDIS_URL_SECRET_NAME): redis:// or rediss://
 * (TLS), with the password (and user) in the URL. The URL itself is a secret; what may be logged or shown in an
 * error is its host, port and whether it uses TLS, never the rest.
 */
export interface RedisEndpoint {
  host: string;
  port: number;
  tls: boolean;
}

/** ioredis' default port; Azure Cache for Redis answers TLS on 6380, Azure Managed Redis on 10000. */
const DEFAULT_PORT = 6379;

/** Problems with `raw` as a Redis URL; none means it is usable. Messages never quote the URL. */
export function redisUrlProblems(raw: string): string[] {
  if (!URL.canParse(raw)) return ["expected redis://[:password@]host[:port][/db] or rediss://… for TLS"];
  const url = new URL(raw);
  const problems: string[] = [];
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") problems.push("must start with redis:// or rediss:// (TLS)");
  if (!url.hostname) problems.push("must name a host");
  if (!/^\/?(\d{1,2})?$/.test(url.pathname)) problems.push("the path may only be a database number, e.g. /0");
  return problems;
}

/** Host, port and TLS of a URL that passed redisUrlProblems: what logs and startup errors may name. */
export function redisEndpointOf(raw: string): RedisEndpoint {
  const url = new URL(raw);
  return { host: url.hostname, port: url.port ? Number(url.port) : DEFAULT_PORT, tls: url.protocol === "rediss:" };
}

/** "host:port" (with " (TLS)"), safe to log. */
export function describeRedisEndpoint(raw: string): string {
  const { host, port, tls } = redisEndpointOf(raw);
  return `${host}:${port}${tls ? " (TLS)" : ""}`;
}
