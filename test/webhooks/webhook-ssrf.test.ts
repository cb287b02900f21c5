/**
 * SSRF: a callbackUrl may not reach into our network. Refused at create on its literal host, and again at delivery
 * on every address its name resolves to, with the connection made to the address that was checked.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../helpers/app-harness.js";
import { createWebhookSender, type Resolver } from "../../src/webhooks/webhook-sender.js";
import { eventsOf, startWebhookStack, type WebhookStack } from "./webhook-kit.js";
import { WebhookReceiver } from "./webhook-receiver.js";

const refusedAtCreate: Array<[string, string]> = [
  ["10/8", "https://10.0.0.5/hook"],
  ["172.16/12", "https://172.20.1.1/hook"],
  ["192.168/16", "https://192.168.0.10/hook"],
  ["127/8", "https://127.0.0.1/hook"],
  ["127/8, another address", "https://127.8.9.10/hook"],
  ["loopback written as one decimal number", "https://2130706433/hook"],
  ["loopback written in hex", "https://0x7f.0.0.1/hook"],
  ["IMDS (link-local)", "https://169.254.169.254/latest/meta-data/"],
  ["CGNAT 100.64/10", "https://100.64.1.1/hook"],
  ["unspecified", "https://0.0.0.0/hook"],
  ["multicast", "https://224.0.0.1/hook"],
  ["IPv6 loopback", "https://[::1]/hook"],
  ["IPv6 unspecified", "https://[::]/hook"],
  ["IPv6 unique local fc00::/7", "https://[fd00::1]/hook"],
  ["IPv6 link-local fe80::/10", "https://[fe80::1]/hook"],
  ["IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/hook"],
  ["IPv4-mapped IMDS", "https://[::ffff:169.254.169.254]/hook"],
  ["IPv4-mapped private, hex form", "https://[::ffff:a00:1]/hook"],
  ["NAT64 of a private address", "https://[64:ff9b::10.0.0.1]/hook"],
  ["IPv4-translated ::ffff:0:0:0/96 (RFC 2765)", "https://[::ffff:0:8.8.8.8]/hook"],
  ["local-use NAT64 64:ff9b:1::/48 (RFC 8215)", "https://[64:ff9b:1::8.8.8.8]/hook"],
  ["documentation 3fff::/20", "https://[3fff::1]/hook"],
  ["SRv6 SIDs 5f00::/16", "https://[5f00::1]/hook"],
  ["6to4 relay anycast 192.88.99.0/24", "https://192.88.99.1/hook"],
  ["6to4 2002::/16", "https://[2002:808:808::1]/hook"],
  ["a port other than 443", "https://hooks.example.com:8443/hook"],
  ["port 22 of a public address", "https://8.8.8.8:22/hook"],
  ["port 80 over https", "https://hooks.example.com:80/hook"],
  ["localhost", "https://localhost/hook"],
  ["a .localhost name", "https://api.localhost./hook"],
  ["plain http", "http://hooks.example.com/hook"],
  ["credentials in the URL", "https://user:pass@hooks.example.com/hook"],
  ["a user name alone", "https://user@hooks.example.com/hook"],
  ["another scheme", "ftp://hooks.example.com/hook"],
  ["a fragment", "https://hooks.example.com/hook#frag"],
  ["not a URL", "hooks.example.com/hook"],
  ["over 2048 characters", `https://hooks.example.com/${"a".repeat(2030)}`],
];

describe("callbackUrl at create (private targets not allowed)", () => {
  let stack: WebhookStack;
  beforeAll(async () => {
    stack = await startWebhookStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "false" });
  });
  afterAll(async () => stack.close());

  it.each(refusedAtCreate)("when it points at %s, then 400 naming body.callbackUrl and Face is not called", async (_name, callbackUrl) => {
    const sessionsBefore = stack.emulator.state.sessionCount;
    const res = await createSession(stack.app, { kind: "liveness", callbackUrl });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_VALIDATION", fields: [{ path: "body.callbackUrl" }] });
    expect(stack.emulator.state.sessionCount).toBe(sessionsBefore);
  });

  it("when it is a public https URL, then the session is created", async () => {
    expect((await createSession(stack.app, { kind: "liveness", callbackUrl: "https://hooks.example.com/liveness?t=1" })).statusCode).toBe(201);
    expect((await createSession(stack.app, { kind: "liveness", callbackUrl: "https://hooks.example.com:443/liveness" })).statusCode).toBe(201);
    expect((await createSession(stack.app, { kind: "liveness", callbackUrl: `https://[2606:4700::1111]/${"a".repeat(2000)}` })).statusCode).toBe(201);
    expect((await createSession(stack.app, { kind: "liveness", callbackUrl: "https://[64:ff9b::8.8.8.8]/hook" })).statusCode).toBe(201);
  });

  it("when a port is refused, then the message names it and WEBHOOK_ALLOWED_PORTS", async () => {
    const res = await createSession(stack.app, { kind: "liveness", callbackUrl: "https://hooks.example.com:8443/hook" });
    expect(res.json().error.fields).toEqual([{ path: "body.callbackUrl", message: expect.stringMatching(/port 8443.*WEBHOOK_ALLOWED_PORTS/) }]);
  });
});

describe("callbackUrl at create with WEBHOOK_ALLOWED_PORTS=443,8443", () => {
  let stack: WebhookStack;
  beforeAll(async () => {
    stack = await startWebhookStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "false", WEBHOOK_ALLOWED_PORTS: "443,8443" });
  });
  afterAll(async () => stack.close());

  it("when it uses a listed port, then the session is created; an unlisted one is still refused", async () => {
    expect((await createSession(stack.app, { kind: "liveness", callbackUrl: "https://hooks.example.com:8443/hook" })).statusCode).toBe(201);
    expect((await createSession(stack.app, { kind: "liveness", callbackUrl: "https://hooks.example.com:8444/hook" })).statusCode).toBe(400);
  });
});

describe("callbackUrl at create with WEBHOOK_ALLOW_PRIVATE_TARGETS=true", () => {
  let stack: WebhookStack;
  beforeAll(async () => {
    stack = await startWebhookStack();
  });
  afterAll(async () => stack.close());

  it("when it points at loopback over http or at a private address, then it is accepted", async () => {
    for (const callbackUrl of ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x", "https://10.0.0.5/x", "https://[fd00::1]/x"]) {
      expect((await createSession(stack.app, { kind: "liveness", callbackUrl })).statusCode, callbackUrl).toBe(201);
    }
  });

  it("when it points at a private address on another port, then it is accepted too", async () => {
    for (const callbackUrl of ["https://10.0.0.5:8443/x", "https://[fd00::1]:9000/x", "https://receiver.localhost:8443/x"]) {
      expect((await createSession(stack.app, { kind: "liveness", callbackUrl })).statusCode, callbackUrl).toBe(201);
    }
  });

  it("when it points at IMDS or link-local, uses http to a non-loopback host, or another port of a public host, then it is still refused", async () => {
    for (const callbackUrl of ["https://169.254.169.254/x", "https://[fe80::1]/x", "http://10.0.0.5/x", "http://hooks.example.com/x", "https://hooks.example.com:8443/x", "https://8.8.8.8:8443/x"]) {
      expect((await createSession(stack.app, { kind: "liveness", callbackUrl })).statusCode, callbackUrl).toBe(400);
    }
  });
});

describe("callbackUrl with webhooks off", () => {
  let stack: WebhookStack;
  afterEach(async () => stack.close());

  it("when no signing secret is configured, then 422 LSO_ERR_WEBHOOKS_DISABLED names body.callbackUrl", async () => {
    stack = await startWebhookStack({ WEBHOOK_SECRET: undefined });
    const res = await createSession(stack.app, { kind: "liveness", callbackUrl: "https://hooks.example.com/x" });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "LSO_ERR_WEBHOOKS_DISABLED", fields: [{ path: "body.callbackUrl" }] });
    expect((await createSession(stack.app, { kind: "liveness" })).statusCode).toBe(201);
  });
});

describe("at delivery: every resolved address is checked, and the checked one is used", () => {
  let stack: WebhookStack;
  afterEach(async () => stack.close());

  const resolverTo = (address: string, calls: string[] = []): Resolver => async (hostname) => {
    calls.push(hostname);
    return [{ address, family: address.includes(":") ? 6 : 4 }];
  };

  it("when a public-looking name resolves to 127.0.0.1 (DNS rebinding), then the delivery fails for good and nothing is sent", async () => {
    stack = await startWebhookStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "false" }, { webhookResolver: resolverTo("127.0.0.1") });
    const { id } = await stack.createWithCallback("https://hooks.example.test/liveness");
    await stack.decide(id);
    const [delivery] = (await eventsOf(stack, id)).json().deliveries;
    expect(delivery).toMatchObject({ state: "failed", attempts: [{ final: true, error: expect.stringMatching(/^refused target: hooks\.example\.test resolves to a loopback address/) }] });
    expect(stack.seen.filter((e) => e.type === "webhookFailed")).toEqual([expect.objectContaining({ final: true })]);
  });

  it("when one of several addresses is IMDS, then the delivery is refused even with private targets allowed", async () => {
    const resolver: Resolver = async () => [{ address: "127.0.0.1", family: 4 }, { address: "169.254.169.254", family: 4 }];
    stack = await startWebhookStack({}, { webhookResolver: resolver });
    const { id } = await stack.createWithCallback("http://localhost:9/x");
    await stack.decide(id);
    expect((await eventsOf(stack, id)).json().deliveries[0].attempts[0].error).toMatch(/link-local/);
  });

  it("when the resolver maps a made-up name to the receiver, then the connection goes to that checked address, resolved once", async () => {
    const calls: string[] = [];
    stack = await startWebhookStack({}, { webhookResolver: resolverTo("127.0.0.1", calls) });
    const port = new URL(stack.receiver.url()).port;
    const { id } = await stack.createWithCallback(`http://receiver.localhost:${port}/via-name`);
    await stack.decide(id);
    expect(stack.receiver.received.map((r) => r.path)).toEqual(["/via-name"]);
    expect(calls).toEqual(["receiver.localhost"]);
  });
});

/** Each block named in the allow-list's tests, reached by a public-looking name at delivery time. */
const refusedAtDelivery: Array<[string, string]> = [
  ["IPv4-translated ::ffff:0:0:0/96", "::ffff:0:808:808"],
  ["local-use NAT64 64:ff9b:1::/48", "64:ff9b:1::808:808"],
  ["documentation 3fff::/20", "3fff::1"],
  ["SRv6 SIDs 5f00::/16", "5f00::1"],
  ["6to4 relay anycast 192.88.99.0/24", "192.88.99.1"],
  ["6to4 2002::/16", "2002:808:808::1"],
  ["Teredo 2001::/32", "2001::1"],
  ["AS112 192.175.48.0/24", "192.175.48.1"],
];

describe("at delivery: every special-purpose block is refused, whatever name leads to it", () => {
  let stack: WebhookStack;
  const byHost = new Map(refusedAtDelivery.map(([, address], i) => [`case-${i}.hooks.example.test`, address]));
  const resolver: Resolver = async (hostname) => {
    const address = byHost.get(hostname) ?? "8.8.8.8";
    return [{ address, family: address.includes(":") ? 6 : 4 }];
  };
  beforeAll(async () => {
    stack = await startWebhookStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "false" }, { webhookResolver: resolver });
  });
  afterAll(async () => stack.close());

  it.each(refusedAtDelivery.map(([name, address], i) => [name, address, i] as const))(
    "when a name resolves into %s (%s), then the delivery fails for good and nothing is sent",
    async (_name, _address, i) => {
      const { id } = await stack.createWithCallback(`https://case-${i}.hooks.example.test/liveness`);
      await stack.decide(id);
      const [delivery] = (await eventsOf(stack, id)).json().deliveries;
      expect(delivery).toMatchObject({
        state: "failed",
        attempts: [{ final: true, error: `refused target: case-${i}.hooks.example.test resolves to a reserved or special-purpose address` }],
      });
    },
  );
});

describe("at delivery: ports", () => {
  let stack: WebhookStack;
  afterEach(async () => stack.close());

  it("when a localhost name accepted at create (private targets allowed) resolves to a public address on port 9, then the delivery is refused", async () => {
    stack = await startWebhookStack({}, { webhookResolver: async () => [{ address: "8.8.8.8", family: 4 }] });
    const { id } = await stack.createWithCallback("http://receiver.localhost:9/x");
    await stack.decide(id);
    expect((await eventsOf(stack, id)).json().deliveries[0]).toMatchObject({
      state: "failed",
      attempts: [{ final: true, error: expect.stringMatching(/^refused target: port 9, which WEBHOOK_ALLOWED_PORTS does not list/) }],
    });
  });
});

describe("the sender on its own, with a resolver to a public address", () => {
  const publicResolver: Resolver = async () => [{ address: "8.8.8.8", family: 4 }];
  const post = (url: string, allowedPorts: number[], allowPrivateTargets = false) =>
    createWebhookSender({ timeoutMs: 2000, allowPrivateTargets, allowedPorts, resolve: publicResolver })({ url, body: "{}", headers: {} });

  it("when the port is not allowed, then it is refused for good before any connection, with or without private targets", async () => {
    const refused = { final: true, error: expect.stringMatching(/^refused target: port 8443, which WEBHOOK_ALLOWED_PORTS does not list/) };
    expect(await post("https://hooks.example.test:8443/x", [443])).toEqual(refused);
    expect(await post("https://hooks.example.test:8443/x", [443], true)).toEqual(refused);
    expect(await post("https://8.8.8.8:8443/x", [443])).toEqual(refused);
  });
});

describe("the sender on its own, with the system resolver", () => {
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => receiver.close());

  const post = (url: string, allowPrivateTargets: boolean) =>
    createWebhookSender({ timeoutMs: 2000, allowPrivateTargets, allowedPorts: [443] })({ url, body: "{}", headers: { "content-type": "application/json" } });

  it("when localhost is the host and private targets are not allowed, then it is refused before connecting", async () => {
    const port = new URL(receiver.url()).port;
    expect(await post(`http://localhost:${port}/x`, false)).toEqual({ error: expect.stringMatching(/^refused target: localhost resolves to a loopback address/), final: true });
    expect(await post(`http://127.0.0.1:${port}/x`, false)).toMatchObject({ final: true, error: expect.stringMatching(/^refused target: a loopback/) });
    expect(receiver.received).toEqual([]);
    expect(await post(`http://localhost:${port}/x`, true)).toEqual({ statusCode: 200 });
    expect(receiver.received).toHaveLength(1);
  });
});
