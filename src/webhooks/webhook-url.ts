/**
 * The callbackUrl a caller may give on create. Two layers: the zod schema (shape only, static, part of the public
 * API: sessions/session-schemas.ts) and the SSRF rules here, on the literal host, which depend on configuration.
 * Host names are checked again on every delivery, against what they resolve to then (webhook-sender.ts).
 */
import { isIP } from "node:net";
import { AppError } from "../errors.js";
import { addressCategory, isLocalCategory, refusedAddress, refusedPort, type TargetRules } from "./webhook-address.js";

const parse = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/** RFC 6761: these names always mean this machine. */
const isLocalhostName = (host: string) => host === "localhost" || host.endsWith(".localhost");

/** The URL's host as a plain name or address: no brackets, no trailing dot, lower case. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
}

/** The TCP port a request to this URL goes to (the URL parser leaves `port` empty for the scheme's default). */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** Why this callback URL is refused, judged on its literal host and port; undefined when it is acceptable. */
export function callbackUrlProblem(value: string, rules: TargetRules): string | undefined {
  const url = parse(value);
  if (!url) return "must be an absolute https URL";
  const host = hostOf(url);
  const { allowPrivateTargets } = rules;
  const loopbackHost = isLocalhostName(host) || (isIP(host) !== 0 && addressCategory(host) === "loopback");
  if (url.protocol !== "https:" && !(allowPrivateTargets && loopbackHost)) {
    return "must use https (plain http only to a loopback receiver with WEBHOOK_ALLOW_PRIVATE_TARGETS=true)";
  }
  if (isIP(host)) {
    const refused = refusedAddress(host, allowPrivateTargets);
    if (refused) return `must not point at ${refused}`;
  }
  if (isLocalhostName(host) && !allowPrivateTargets) return "must not point at this machine (localhost)";
  // A name is judged local here only when it is one by definition (localhost); the sender checks the port again
  // against what any other name resolves to.
  const localHost = isLocalhostName(host) || (isIP(host) !== 0 && isLocalCategory(addressCategory(host)));
  const refused = refusedPort(portOf(url), rules, localHost);
  return refused && `must not use ${refused}`;
}

/** Throws the 400 the create route answers when the callback URL is refused. */
export function assertCallbackUrlAllowed(value: string, rules: TargetRules): void {
  const problem = callbackUrlProblem(value, rules);
  if (problem) throw new AppError("LSO_ERR_VALIDATION", { fields: [{ path: "body.callbackUrl", message: problem }] });
}

/** origin + path: what logs may show of a callback URL (its query string may carry the receiver's own token). */
export function loggableUrl(value: string): string {
  const url = parse(value);
  return url ? `${url.origin}${url.pathname}` : "[unparseable]";
}
