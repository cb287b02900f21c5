/**
 * Nothing identifying or secret reaches a scrape: after a whole flow (subject, device, idempotency key, a callbackUrl
 * with a receiver token, a URL with a query secret, caller and Face keys, the webhook secret, the metrics token
 * itself), the exposition holds no session id, token, key, subject, query string or client id, and every label value
 * comes from a closed set. Nor does the bearer token reach the logs, at trace level.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENTS, startStack, type TestStack } from "../helpers/app-harness.js";
import { parseMetrics } from "../helpers/metrics-text.js";
import { WebhookReceiver } from "../webhooks/webhook-receiver.js";
import { fullFlow, METRICS_TOKEN, WEBHOOK_SECRET, type FlowTraces } from "./metrics-kit.js";

let stack: TestStack;
let receiver: WebhookReceiver;
let traces: FlowTraces;
let text: string;
beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  stack = await startStack({ WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", METRICS_TOKEN, LOG_LEVEL: "trace" });
  traces = await fullFlow(stack, receiver);
  text = (await stack.app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body;
});
afterAll(async () => {
  await stack.close();
  await receiver.close();
});

/** Label names the exporter uses, and for the ones whose values come from the traffic, what those values may be. */
const LABEL_VALUES: Record<string, RegExp> = {
  method: /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|other)$/,
  route: /^(unmatched|\/[A-Za-z0-9/:._-]*)$/,
  status_class: /^[1-5]xx$/,
  operation: /^[a-zA-Z]+$/,
  outcome: /^[A-Za-z_]+$/,
  store: /^[a-zA-Z]+$/,
};

describe("what a scrape reveals", () => {
  it("when the flow's ids, tokens, keys, subject, device, query strings and secrets are looked for, then none is in the scrape", () => {
    expect(text.length).toBeGreaterThan(1000);
    expect([...traces.sessionIds, ...traces.secrets, CLIENTS.acme.clientId, CLIENTS.globex.clientId].filter((s) => text.includes(s))).toEqual([]);
    // A query string in a label would mean a raw URL got through.
    expect(parseMetrics(text).filter((sample) => JSON.stringify(sample.labels).includes("?"))).toEqual([]);
  });

  it("when every label is read, then no value looks like an id (UUID, long hex or base64) and route values are templates", () => {
    const values = parseMetrics(text).flatMap((sample) => Object.entries(sample.labels));
    expect(values.length).toBeGreaterThan(50);
    // Operation names are long words; an id or a token mixes in digits.
    const suspicious = values.filter(([, value]) => /[0-9a-f]{8}-[0-9a-f]{4}-|[0-9a-f]{16,}/i.test(value) || (/\d/.test(value) && /[A-Za-z0-9+/_-]{20,}/.test(value)));
    expect(suspicious).toEqual([]);
    const offSet = values.filter(([name, value]) => LABEL_VALUES[name] !== undefined && !LABEL_VALUES[name].test(value));
    expect(offSet).toEqual([]);
    expect(values.filter(([name, value]) => name === "route" && /\/[0-9a-f-]{20,}/.test(value))).toEqual([]);
  });

  it("when /metrics was scraped with its bearer token at trace level, then the token is in no log line", () => {
    expect(stack.logs.lines.length).toBeGreaterThan(0);
    expect(stack.logs.text).not.toContain(METRICS_TOKEN);
  });
});
