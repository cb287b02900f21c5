/**
 * A real webhook receiver on 127.0.0.1 (node:http), scripted per request, that verifies every signature with its
 * own implementation of the README's recipe: nothing here imports the signer it checks.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const TOLERANCE_SECONDS = 5 * 60;

/** The receiver's recipe: parse t and every v1, recompute HMAC-SHA256 over `${t}.${body}`, compare in constant time. */
export function verifyWebhookSignature(header: string | undefined, body: string, secrets: string[], nowSeconds: number): boolean {
  if (!header) return false;
  const pairs = header.split(",").map((part) => [part.slice(0, part.indexOf("=")), part.slice(part.indexOf("=") + 1)] as const);
  const t = Number(pairs.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return false;
  const given = pairs.filter(([k]) => k === "v1").map(([, v]) => Buffer.from(v, "hex"));
  return secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
    return given.some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
  });
}

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
}

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  hang?: boolean;
  /** Answer after this long (to hold requests open at the same time). */
  delayMs?: number;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** The most requests this receiver held open at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly script: ScriptedReply[] = [];
  private server: Server | undefined;

  /** Replies for the next requests, in order; afterwards every request gets 200. */
  replyWith(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      res.on("close", () => this.inFlight--);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        this.received.push({ path: req.url ?? "", headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown> });
        const reply = this.script.shift() ?? { status: 200 };
        if (reply.hang) return;
        setTimeout(() => res.writeHead(reply.status, reply.headers).end("ok"), reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return this;
  }

  /** A callback URL on this receiver; the query stands for a receiver's own token, which must never be logged. */
  url(path = "/hooks/liveness?token=receiver-query-secret-123"): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${path}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
