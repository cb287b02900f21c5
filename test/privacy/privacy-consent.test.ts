/**
 * Consent evidence on create: required by policy (and then refused before Face is called), validated (age, free
 * text, bounded lengths), kept and shown in GET, the audit trail and the webhook, and never sent to Face.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auth, createSession, startStack, type TestStack } from "../helpers/app-harness.js";
import { rawMultipart } from "../helpers/emulator-client.js";
import { startWebhookStack, type WebhookStack } from "../webhooks/webhook-kit.js";

const POLICIES = JSON.stringify({ acme: { requireConsent: true } });

const consentNow = (overrides: Record<string, unknown> = {}) => ({
  noticeVersion: "notice-v4",
  consentedAt: new Date(Date.now() - 60_000).toISOString(),
  method: "checkbox",
  reference: "consent-record-981",
  ...overrides,
});

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ CLIENT_POLICIES: POLICIES, FACE_MAX_TPS: "1000", CONSENT_MAX_AGE_SECONDS: "3600" });
});
afterAll(async () => stack.close());

const faceCreates = () => stack.emulator.state.requestCount("createLivenessSession") + stack.emulator.state.requestCount("createLivenessWithVerifySession");

describe("requireConsent", () => {
  it("when the policy requires consent and the create has none, then 422 LSO_ERR_CONSENT_REQUIRED and Face is not called", async () => {
    const before = faceCreates();
    const res = await createSession(stack.app, { kind: "liveness", subject: "user-1" });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe("LSO_ERR_CONSENT_REQUIRED");
    expect(faceCreates()).toBe(before);
  });

  it("when the policy does not require consent, then a create without it succeeds", async () => {
    const res = await createSession(stack.app, { kind: "liveness" }, "globex");
    expect(res.statusCode).toBe(201);
  });
});

describe("well-formed consent", () => {
  it("when consent is given, then GET and the audit trail show it and the Face session holds none of it", async () => {
    const consent = consentNow();
    const res = await createSession(stack.app, { kind: "liveness", subject: "user-2", consent });
    expect(res.statusCode).toBe(201);
    const { id } = res.json();
    const view = await stack.app.inject({ method: "GET", url: `/v1/sessions/${id}`, headers: auth() });
    expect(view.json().consent).toEqual(consent);
    const audit = await stack.app.inject({ method: "GET", url: `/v1/sessions/${id}/audit`, headers: auth() });
    expect(audit.json().entries.find((e: { event: string }) => e.event === "created").consent).toEqual(consent);
    const atFace = JSON.stringify(stack.emulator.state.findSession(id, "liveness", Date.now()));
    expect(atFace).toContain(id);
    for (const value of ["notice-v4", "consent-record-981", consent.consentedAt]) expect(atFace).not.toContain(value);
  });

  it("when consent comes as a multipart JSON field, then it is kept as in JSON", async () => {
    const consent = consentNow({ method: "signature" });
    const form = rawMultipart([
      { name: "kind", value: "liveness" },
      { name: "consent", value: JSON.stringify(consent) },
    ]);
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "content-type": form.contentType }, payload: form.body });
    expect(res.statusCode).toBe(201);
    const view = await stack.app.inject({ method: "GET", url: `/v1/sessions/${res.json().id}`, headers: auth() });
    expect(view.json().consent).toEqual(consent);
  });

  it("when the multipart consent field is not JSON, then 400 names body.consent and Face is not called", async () => {
    const before = faceCreates();
    const form = rawMultipart([
      { name: "kind", value: "liveness" },
      { name: "consent", value: "{not json" },
    ]);
    const res = await stack.app.inject({ method: "POST", url: "/v1/sessions", headers: { ...auth(), "content-type": form.contentType }, payload: form.body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields.map((f: { path: string }) => f.path)).toContain("body.consent");
    expect(faceCreates()).toBe(before);
  });
});

describe("hostile consent values", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["consentedAt an hour in the future", { consentedAt: new Date(Date.now() + 3_600_000).toISOString() }, "body.consent.consentedAt"],
    ["consentedAt older than CONSENT_MAX_AGE_SECONDS", { consentedAt: new Date(Date.now() - 7_200_000).toISOString() }, "body.consent.consentedAt"],
    ["consentedAt not a date", { consentedAt: "yesterday" }, "body.consent.consentedAt"],
    ["a bidi override in the reference", { reference: "abc\u202Eevil" }, "body.consent.reference"],
    ["a control character in the notice version", { noticeVersion: "v4\u001b[31m" }, "body.consent.noticeVersion"],
    ["a notice version over 64 characters", { noticeVersion: "v".repeat(65) }, "body.consent.noticeVersion"],
    ["a reference over 128 characters", { reference: "r".repeat(129) }, "body.consent.reference"],
    ["an unknown method", { method: "telepathy" }, "body.consent.method"],
    ["an unknown field", { ip: "203.0.113.7" }, "body.consent"],
  ];
  it.each(cases)("when consent has %s, then 400 names the field and Face is not called", async (_label, overrides, path) => {
    const before = faceCreates();
    const res = await createSession(stack.app, { kind: "liveness", consent: consentNow(overrides) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("LSO_ERR_VALIDATION");
    expect(res.json().error.fields.map((f: { path: string }) => f.path)).toContain(path);
    expect(faceCreates()).toBe(before);
  });
});

describe("consent in the webhook", () => {
  let hooks: WebhookStack;
  beforeAll(async () => {
    hooks = await startWebhookStack();
  });
  afterAll(async () => hooks.close());

  it("when a session with consent is decided, then the webhook event carries the consent evidence", async () => {
    const consent = consentNow({ consentedAt: new Date(hooks.clock.now() - 60_000).toISOString() });
    const res = await createSession(hooks.app, { kind: "liveness", subject: "user-9", callbackUrl: hooks.receiver.url(), consent });
    expect(res.statusCode).toBe(201);
    await hooks.decide(res.json().id);
    expect(hooks.receiver.received).toHaveLength(1);
    expect(hooks.receiver.received[0]!.json).toMatchObject({ data: { sessionId: res.json().id, subject: "user-9", consent } });
  });
});
