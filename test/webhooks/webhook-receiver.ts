/**
 * A real webhook receiver on 127.0.0.1 (node:http), scripted per request. Deliveries are verified the way receivers
 * verify them, with the Standard Webhooks library (`Webhook` from standardwebhooks): nothing here imports our signer.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

/** Node's headers as the library takes them: one string per name. */
export const flatHeaders = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));

/**
 * What a receiver holding `secrets` (whsec_…) concludes about a request: "verified" when the library accepts it with
 * any of them, else the library's reason (e.g. "No matching signature found", "Message timestamp too old").
 */
export function verifyWithStandardWebhooks(request: { headers: IncomingHttpHeaders; body: string }, secrets: string[]): string {
  let reason = "no secret";
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(request.body, flatHeaders(request.headers));
      return "verified";
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      reason = error.message;
    }
  }
  return reason;
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
  /** Answer only once this settles (a test holds a delivery in flight for as long as it needs). */
  until?: Promise<unknown>;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** The most requests this receiver held open at once. */
  maxInFlight = 0;
  /** Told of each request as it is received (a test can look at another receiver at that moment). */
  onReceived: ((hook: ReceivedWebhook) => void) | undefined;
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
        const hook = { path: req.url ?? "", headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown> };
        this.received.push(hook);
        this.onReceived?.(hook);
        const reply = this.script.shift() ?? { status: 200 };
        if (reply.hang) return;
        const answer = () => setTimeout(() => res.writeHead(reply.status, reply.headers).end("ok"), reply.delayMs ?? 0);
        if (reply.until) void reply.until.finally(answer);
        else answer();
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
