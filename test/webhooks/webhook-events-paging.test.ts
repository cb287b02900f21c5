/**
 * GET /v1/sessions/{id}/events pages like GET /v1/sessions: limit (default 20, at most 100), an opaque nextCursor
 * passed back as cursor until it is null, oldest first. Over HTTP and over both state backends. A session holds one
 * delivery per event type, so the extra deliveries are written straight into the outbox, as the dispatcher would.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import type { State } from "../../src/state/state.js";
import { DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT } from "../../src/webhooks/webhook-schemas.js";
import { auth } from "../helpers/app-harness.js";
import { backends } from "../helpers/state-backends.js";
import { startWebhookStack, type WebhookStack } from "./webhook-kit.js";

let stack: WebhookStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const page = (sessionId: string, query = "", client: "acme" | "globex" = "acme") =>
  stack!.app.inject({ method: "GET", url: `/v1/sessions/${sessionId}/events${query}`, headers: auth(client) });

describe.each(backends)("GET /v1/sessions/{id}/events paging ($name)", (backend) => {
  let state: State;
  let clock: ManualClock;

  /** A session of acme's (created over HTTP) with `count` deliveries, one millisecond apart: evt_00, evt_01, ... */
  async function sessionWithDeliveries(count: number): Promise<string> {
    clock = new ManualClock(Date.now());
    state = await backend.create(clock);
    stack = await startWebhookStack({}, { state, clock });
    const { id } = await stack.createWithCallback();
    for (let n = 0; n < count; n += 1) {
      const webhookId = `evt_${String(n).padStart(2, "0")}`;
      const at = new Date(clock.now()).toISOString();
      const body = JSON.stringify({ id: webhookId, type: "session.decided", createdAt: at, data: { sessionId: id, kind: "liveness", decision: { outcome: "approved", reasons: [], decidedAt: at } } });
      const now = clock.now();
      // Finished already, so the worker leaves them alone.
      await state.outbox.add({ webhookId, sessionId: id, clientId: "acme", type: "session.decided", url: stack.receiver.url(), body, createdAt: now, state: "failed", series: 1, seriesStartedAt: now, lastAttempt: 0, attempts: [], updatedAt: now });
      clock.advance(1);
    }
    return id;
  }

  it("when a session has 5 deliveries and limit is 2, then pages of 2, 2 and 1 come oldest first, and the last has no cursor", async () => {
    const id = await sessionWithDeliveries(5);
    const seen: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await page(id, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.sessionId).toBe(id);
      seen.push(body.deliveries.map((d: { webhookId: string }) => d.webhookId));
      cursor = body.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen).toEqual([["evt_00", "evt_01"], ["evt_02", "evt_03"], ["evt_04"]]);
  });

  it("when no limit is given, then a page holds the documented default; a limit above the maximum or below 1 is a 400 naming it", async () => {
    const id = await sessionWithDeliveries(DEFAULT_EVENTS_LIMIT + 1);
    const first = (await page(id)).json();
    expect(first.deliveries).toHaveLength(DEFAULT_EVENTS_LIMIT);
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest = (await page(id, `?cursor=${first.nextCursor}`)).json();
    expect(rest).toMatchObject({ deliveries: [{ webhookId: `evt_${DEFAULT_EVENTS_LIMIT}` }], nextCursor: null });
    expect((await page(id, `?limit=${MAX_EVENTS_LIMIT}`)).json().deliveries).toHaveLength(DEFAULT_EVENTS_LIMIT + 1);

    for (const limit of [MAX_EVENTS_LIMIT + 1, 0]) {
      const res = await page(id, `?limit=${limit}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: "LSO_ERR_VALIDATION", fields: [expect.objectContaining({ path: "querystring.limit" })] });
    }
  });

  it("when a cursor is forged, comes from another session's events, or an unknown parameter is sent, then 400 naming it", async () => {
    const id = await sessionWithDeliveries(3);
    // Deliveries name their owner, so another session of acme's needs no second create (and no Face call).
    const other = "11111111-1111-4111-8111-111111111111";
    await state.outbox.add({ ...(await state.outbox.listBySession(id))[0]!, webhookId: "evt_other_1", sessionId: other });
    await state.outbox.add({ ...(await state.outbox.listBySession(id))[0]!, webhookId: "evt_other_2", sessionId: other });
    const foreign = (await page(other, "?limit=1")).json().nextCursor as string;
    expect(foreign).toEqual(expect.any(String));

    for (const [query, path] of [
      [`?cursor=${foreign}`, "querystring.cursor"],
      ["?cursor=not-a-cursor", "querystring.cursor"],
      ["?cursor=%7B%7D", "querystring.cursor"],
      ["?page=2", "querystring"],
    ] as const) {
      const res = await page(id, query);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("LSO_ERR_VALIDATION");
      expect(res.json().error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
  });

  it("when another client pages a session that is not its own, cursor or not, then 404", async () => {
    const id = await sessionWithDeliveries(3);
    const cursor = (await page(id, "?limit=1")).json().nextCursor as string;
    for (const query of ["", `?cursor=${cursor}`]) {
      const res = await page(id, query, "globex");
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("LSO_ERR_SESSION_NOT_FOUND");
    }
  });

  it("when a session has not settled, then its events are an empty last page", async () => {
    const id = await sessionWithDeliveries(0);
    expect((await page(id)).json()).toEqual({ sessionId: id, deliveries: [], nextCursor: null });
  });
});
