/**
 * GET /v1/sessions/{id}/audit with events emitted on the bus directly: the subscriber and the route, independent of
 * which emitters the session core has landed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditLog } from "../../src/state/audit-log.js";
import { auth, CLIENTS } from "../helpers/app-harness.js";
import { eventFor, HOUR, startAuditStack, type AuditStack } from "./audit-kit.js";

let stack: AuditStack;
beforeAll(async () => {
  stack = await startAuditStack();
});
afterAll(async () => stack.close());

describe("GET /v1/sessions/{id}/audit", () => {
  it("when a session's events are emitted, then its trail answers one entry per event, in order, with the story's details", async () => {
    const record = await stack.plantSession();
    const { clock } = stack;
    stack.bus.emit(eventFor(record, clock, { type: "created", kind: "liveness", faceRequestId: "req-create" }));
    stack.bus.emit(eventFor(record, clock, { type: "tokenIssued", authTokenExpiresAt: record.authTokenExpiresAt }));
    clock.advance(1000);
    stack.bus.emit(eventFor(record, clock, { type: "attemptSeen", actor: "system", attemptId: 1, attemptStatus: "succeeded", modelVersion: "2024-11-15" }));
    stack.bus.emit(
      eventFor(record, clock, {
        type: "decided",
        decision: { outcome: "approved", reasons: [], decidedAt: new Date(clock.now()).toISOString() },
        digestCheck: "match",
        modelVersion: "2024-11-15",
        faceRequestId: "req-get",
      }),
    );
    stack.bus.emit(eventFor(record, clock, { type: "webhookDelivered", actor: "system", webhookId: "wh-1", attempt: 1, status: 200 }));
    stack.bus.emit(eventFor(record, clock, { type: "deletedAtFace", faceRequestId: "req-delete" }));
    await stack.bus.drain();

    const res = await stack.readAudit(record.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const { sessionId, entries } = res.json();
    expect(sessionId).toBe(record.id);
    expect(entries.map((e: { event: string }) => e.event)).toEqual(["created", "tokenIssued", "attemptSeen", "decided", "webhookDelivered", "deletedAtFace"]);
    expect(entries[0]).toEqual({ at: new Date(record.createdAt).toISOString(), event: "created", actor: "acme", faceRequestId: "req-create", kind: "liveness" });
    expect(entries[3]).toMatchObject({ event: "decided", outcome: "approved", reasons: [], digestCheck: "match", modelVersion: "2024-11-15", faceRequestId: "req-get" });
    expect(entries[4]).toMatchObject({ actor: "system", webhookId: "wh-1", webhookAttempt: 1, httpStatus: 200 });
    expect(stack.listenerErrors).toEqual([]);
  });

  it("when the store answers the first append slowly, then entries still land in emit order", async () => {
    const record = await stack.plantSession();
    const realAppend = stack.auditLog.append.bind(stack.auditLog);
    let first = true;
    stack.auditLog.append = async (...args: Parameters<AuditLog["append"]>) => {
      if (first) {
        first = false;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      return realAppend(...args);
    };
    try {
      for (const attemptId of [1, 2, 3]) stack.bus.emit(eventFor(record, stack.clock, { type: "attemptSeen", attemptId, attemptStatus: "failed" }));
      await stack.bus.drain();
    } finally {
      stack.auditLog.append = realAppend;
    }
    expect((await stack.readAudit(record.id)).json().entries.map((e: { attemptId: number }) => e.attemptId)).toEqual([1, 2, 3]);
  });

  describe("isolation", () => {
    it("when the owner asks, then 200; when another client or nobody's id is asked, then the same 404", async () => {
      const record = await stack.plantSession("acme");
      stack.bus.emit(eventFor(record, stack.clock, { type: "created", kind: "liveness" }));
      await stack.bus.drain();

      expect((await stack.readAudit(record.id, "acme")).statusCode).toBe(200);
      const other = await stack.readAudit(record.id, "globex");
      const unknown = await stack.readAudit("00000000-0000-4000-8000-000000000000", "acme");
      for (const res of [other, unknown]) {
        expect(res.statusCode).toBe(404);
        expect(res.json().error).toMatchObject({ code: "LSO_ERR_SESSION_NOT_FOUND", message: "No such session." });
      }
      const { requestId: _a, ...otherError } = other.json().error;
      const { requestId: _b, ...unknownError } = unknown.json().error;
      expect(otherError).toEqual(unknownError);
      expect(other.body).not.toContain("created");
    });

    it("when the id is not a session id, then 400 names params.id; without a key, 401", async () => {
      const malformed = await stack.readAudit("not-a-guid");
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.fields).toEqual([expect.objectContaining({ path: "params.id" })]);
      const anonymous = await stack.app.inject({ method: "GET", url: "/v1/sessions/00000000-0000-4000-8000-000000000000/audit" });
      expect(anonymous.statusCode).toBe(401);
      const wrongKey = await stack.app.inject({
        method: "GET",
        url: "/v1/sessions/00000000-0000-4000-8000-000000000000/audit",
        headers: { "x-api-key": `${CLIENTS.acme.key}x` },
      });
      expect(wrongKey.statusCode).toBe(401);
    });
  });

  it("when a caller tries to write, change or delete the trail, then there is no such route", async () => {
    const record = await stack.plantSession();
    stack.bus.emit(eventFor(record, stack.clock, { type: "created", kind: "liveness" }));
    await stack.bus.drain();
    for (const method of ["POST", "PUT", "PATCH", "DELETE"] as const) {
      const res = await stack.app.inject({ method, url: `/v1/sessions/${record.id}/audit`, headers: auth(), payload: { event: "decided" } });
      expect(res.statusCode, method).toBe(404);
      expect(res.json().error.code).toBe("LSO_ERR_ROUTE_NOT_FOUND");
    }
    expect((await stack.readAudit(record.id)).json().entries).toHaveLength(1);
  });

  it("when the session record expires, then the trail answers 404 and is forgotten with it", async () => {
    const record = await stack.plantSession("acme", HOUR);
    stack.bus.emit(eventFor(record, stack.clock, { type: "created", kind: "liveness" }));
    await stack.bus.drain();
    expect((await stack.readAudit(record.id)).statusCode).toBe(200);

    stack.clock.advance(HOUR);
    expect((await stack.readAudit(record.id)).statusCode).toBe(404);
    expect(await stack.auditLog.list(record.id, 10)).toEqual([]);
  });
});
