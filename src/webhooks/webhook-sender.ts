/**
 * One webhook POST over node:http(s), with the SSRF guard in the connection itself: our `lookup` resolves the
 * host, refuses it when any address (or, for a public one, the port) is forbidden, and hands the checked addresses to
 * the socket. Checking and connecting use the same answer, so a DNS rebinding (public at check time, 127.0.0.1 at
 * connect time) cannot slip between them. An IP literal never reaches lookup and is checked before the request.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { addressCategory, isLocalCategory, refusedAddress, refusedPort, type TargetRules } from "./webhook-address.js";
import type { SendResult } from "./webhook-retry.js";
import { hostOf, portOf } from "./webhook-url.js";

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** DNS as a dependency: tests map a name to a loopback address to rehearse a rebinding. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface SenderOptions extends TargetRules {
  timeoutMs: number;
  resolve?: Resolver;
}

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export type WebhookSender = (request: WebhookRequest) => Promise<SendResult>;

class RefusedTargetError extends Error {
  override readonly name = "RefusedTargetError";
}

const isLocalAddress = (address: string) => isLocalCategory(addressCategory(address));

/** Every address the host resolves to, if none is forbidden on this port; of the family the socket asked for. */
async function checkedAddresses(resolve: Resolver, hostname: string, port: number, family: unknown, rules: TargetRules): Promise<ResolvedAddress[]> {
  const all = await resolve(hostname);
  for (const { address } of all) {
    const why = refusedAddress(address, rules.allowPrivateTargets);
    if (why) throw new RefusedTargetError(`refused target: ${hostname} resolves to ${why}`);
  }
  const wrongPort = refusedPort(port, rules, all.every(({ address }) => isLocalAddress(address)));
  if (wrongPort) throw new RefusedTargetError(`refused target: ${wrongPort}`);
  const wanted = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
  if (!wanted.length) throw Object.assign(new Error(`${hostname} has no usable address`), { code: "ENOTFOUND" });
  return wanted;
}

/** The lookup for one request: the port is the URL's, which the socket's lookup is not told. */
function guardedLookup(resolve: Resolver, port: number, rules: TargetRules): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(resolve, hostname, port, options.family, rules).then(
      (wanted) => (options.all ? callback(null, wanted) : callback(null, wanted[0]!.address, wanted[0]!.family)),
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}

/** A short, safe description of a transport failure (never the URL: its query may hold a token). */
function describe(error: unknown): string {
  if (error instanceof RefusedTargetError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `network error: ${code}` : `network error: ${(error as Error).name}`;
}

export function createWebhookSender(options: SenderOptions): WebhookSender {
  const resolve = options.resolve ?? systemResolver;
  return (req) =>
    new Promise<SendResult>((done) => {
      const url = new URL(req.url);
      const host = hostOf(url);
      const port = portOf(url);
      if (isIP(host)) {
        const why = refusedAddress(host, options.allowPrivateTargets) ?? refusedPort(port, options, isLocalAddress(host));
        if (why) return done({ error: `refused target: ${why}`, final: true });
      }
      const lookup = guardedLookup(resolve, port, options);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const outgoing = send(url, {
        method: "POST",
        headers: { ...req.headers, "content-length": String(Buffer.byteLength(req.body)) },
        lookup,
        // A fresh connection per attempt: a pooled socket could outlive the address check it was made under.
        agent: false,
      });
      const timer = setTimeout(() => outgoing.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })), options.timeoutMs);
      timer.unref();
      const finish = (result: SendResult) => {
        clearTimeout(timer);
        done(result);
      };
      outgoing.on("response", (res: IncomingMessage) => {
        // The body is never read: only the status counts, and a large or endless body must not hold us.
        res.on("error", () => undefined);
        res.destroy();
        const retryAfter = res.headers["retry-after"];
        finish({ statusCode: res.statusCode ?? 0, ...(retryAfter !== undefined && { retryAfter }) });
      });
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "TIMEOUT") return finish({ error: `timeout: no answer within ${options.timeoutMs} ms` });
        finish({ error: describe(error), ...(error instanceof RefusedTargetError && { final: true }) });
      });
      outgoing.end(req.body);
    });
}
