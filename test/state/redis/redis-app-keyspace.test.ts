/**
 * The whole API on the Redis state, end to end over real HTTP (emulator, webhook receiver, redis-server), then the
 * keyspace read back: every key expires (there is no documented exception: docs/state.md) and no value or key name
 * holds an auth token, image bytes, an API key, the Face key, the webhook secret or the receiver's token.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openRedisState, type RedisState } from "../../../src/state/redis/redis-state.js";
import { auth, CLIENTS, FACE_KEY } from "../../helpers/app-harness.js";
import { faceFetch, keyHeaders, type SessionBody } from "../../helpers/emulator-client.js";
import { dumpKeyspace, secretsIn, type DumpedKey, type Secret } from "../../helpers/redis-keyspace.js";
import { describeRedis, useRedisServer } from "../../helpers/redis-server.js";
import { create, device, eventsOf, eventually, faceHas, read, startOutcomeStack, verifyImage, type OutcomeStack } from "../../sessions/session-outcomes-kit.js";
import { WebhookReceiver } from "../../webhooks/webhook-receiver.js";

const WEBHOOK_KEY = randomBytes(32);
const WEBHOOK_SECRET = `whsec_${WEBHOOK_KEY.toString("base64")}`;
const RECEIVER_TOKEN = "receiver-query-secret-123";

describeRedis("the Redis keyspace after a full flow through the API", () => {
  const server = useRedisServer();
  let stack: OutcomeStack;
  let state: RedisState;
  let receiver: WebhookReceiver;
  const dumps: Record<string, DumpedKey[]> = {};
  const secrets: Secret[] = [
    { label: "acme API key", value: CLIENTS.acme.key },
    { label: "globex API key", value: CLIENTS.globex.key },
    { label: "Face key", value: FACE_KEY },
    { label: "webhook secret", value: WEBHOOK_SECRET },
    { label: "webhook signing key", value: WEBHOOK_KEY },
    { label: "receiver token", value: RECEIVER_TOKEN },
    { label: "verify image", value: verifyImage },
  ];

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // The state must read the app's clock, which the stack creates: until the stack exists (background work may
    // start while it is built) the state reads the real time, which that clock starts from.
    const clockHolder: { now(): number } = { now: () => Date.now() };
    state = await openRedisState(server().url, { keyPrefix: server().keyPrefix(), encryptionKeys: [randomBytes(32)] }, clockHolder);
    stack = await startOutcomeStack(
      { SESSION_IMAGE_RETENTION_SECONDS: "3600", WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" },
      { overrides: { state } },
    );
    clockHolder.now = () => stack.clock.now();

    // Create with an Idempotency-Key, and replay it: the stored response (auth token inside) is what Redis holds.
    const body = { kind: "liveness", enableSessionImage: true, subject: "user-redis", callbackUrl: receiver.url() };
    const headers = { ...auth(), "idempotency-key": "redis-flow-1" };
    const first = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers, payload: body });
    expect(first.statusCode, first.body).toBe(201);
    const replay = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers, payload: body });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const session = { id: first.json().id as string, authToken: first.json().authToken as string, kind: "liveness" as const };
    secrets.push({ label: "auth token", value: session.authToken });
    // A verify session too: its reference image must be in Redis only as a hash.
    const verify = await create(stack, { kind: "livenessWithVerify" });
    secrets.push({ label: "verify session auth token", value: verify.authToken });

    // The device's attempt on the real emulator; Face's copy of the session image, before Face forgets it.
    await device(stack, session, { livenessDecision: "spoofface" });
    const atFace = await faceFetch<SessionBody>(stack.emulator.url, `/detectLiveness-sessions/${session.id}`, { headers: keyHeaders(FACE_KEY) });
    const imageId = atFace.body.results.attempts[0]!.result!.sessionImageId!;
    const imageAtFace = await fetch(`${stack.emulator.url}/face/v1.2/sessionImages/${imageId}`, { headers: keyHeaders(FACE_KEY) });
    const imageBytes = Buffer.from(await imageAtFace.arrayBuffer());
    expect(imageBytes.length).toBeGreaterThan(100);
    secrets.push({ label: "session image", value: imageBytes });

    // The decision (declined: a lockout failure is counted too), its webhook, the deletion at Face, the kept image.
    expect((await read(stack, session.id)).json().decision.outcome).toBe("declined");
    await eventually(() => expect(faceHas(stack, session)).toBe(false));
    await eventually(() => expect(eventsOf(stack, session.id, "imageRetained")).toHaveLength(1));
    await stack.app.webhooks.runDue();
    expect(receiver.received).toHaveLength(1);
    const served = await stack.app.inject({ method: "GET", url: `/v1/sessions/${session.id}/image`, headers: auth() });
    expect(served.rawPayload.equals(imageBytes)).toBe(true);
    dumps.withImage = await dumpKeyspace(server().client(), state.keyPrefix);

    expect((await stack.app.inject({ method: "DELETE", url: `/v1/sessions/${session.id}`, headers: auth() })).statusCode).toBe(204);
    dumps.afterDelete = await dumpKeyspace(server().client(), state.keyPrefix);
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it("when the flow is done, then every store it used left keys under the prefix, and only there", async () => {
    const keys = dumps.withImage!.map((d) => d.key.slice(state.keyPrefix.length));
    for (const pattern of [/^\{sessions\}:rec:/, /^\{sessions\}:due$/, /^idem:/, /^lockout:/, /^rate:/, /^\{outbox\}:dlv:/, /^audit:/, /^\{images\}:img:/]) {
      expect(keys.some((k) => pattern.test(k)), String(pattern)).toBe(true);
    }
    // A private server holds nothing else; a shared REDIS_URL one may hold other runs' keys.
    const total = await server().client().dbsize();
    expect(server().external || total === dumps.afterDelete!.length).toBe(true);
  });

  it("when the keyspace is read back with the image kept and after the delete, then every key has a TTL", () => {
    for (const dump of [dumps.withImage!, dumps.afterDelete!]) {
      expect(dump.length).toBeGreaterThan(0);
      expect(dump.filter((d) => d.ttlMs <= 0).map((d) => `${d.key} (${d.type}, PTTL ${d.ttlMs})`)).toEqual([]);
    }
  });

  it("when every value and key name is searched, then no auth token, image bytes, API key, Face key or webhook secret is there", () => {
    expect(secrets.map((s) => s.label)).toEqual(expect.arrayContaining(["auth token", "session image", "acme API key", "webhook secret"]));
    expect(secretsIn(dumps.withImage!, secrets)).toEqual([]);
    expect(secretsIn(dumps.afterDelete!, secrets)).toEqual([]);
  });

  it("when the caller deleted the session, then its record and its image are gone from Redis", () => {
    const keys = dumps.afterDelete!.map((d) => d.key.slice(state.keyPrefix.length));
    expect(keys.filter((k) => /^\{sessions\}:rec:|^\{images\}:img:/.test(k))).toEqual([expect.stringMatching(/^\{sessions\}:rec:/)]);
  });
});
