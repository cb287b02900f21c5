import { readdir, readFile } from "node:fs/promises";

import { describe, expect, it } from "vitest";

import type { SessionKind } from "../../src/face/face-gateway.js";
import { FaceSchemaMismatch, toFaceSession } from "../../src/face/face-normalise.js";
import { faceErrorResponseSchema } from "../../src/face/face-schemas.js";
import { livenessSessionReply, verifySessionReply } from "./face-test-kit.js";

const examplesDir = new URL("../../../shared/face/examples/", import.meta.url);

interface Example {
  operationId: string;
  responses: Record<string, { body?: unknown }>;
}

const examples = await Promise.all(
  (await readdir(examplesDir))
    .filter((name) => name.endsWith(".json"))
    .map(async (name) => ({ name, example: JSON.parse(await readFile(new URL(name, examplesDir), "utf8")) as Example })),
);
const sessionExamples = examples.filter(
  ({ example }) => typeof example.responses["200"]?.body === "object" && example.responses["200"]?.body !== null,
);

const kindOf = (operationId: string): SessionKind => (operationId.includes("WithVerify") ? "livenessWithVerify" : "liveness");

describe("the spec's examples", () => {
  it("when the examples folder is read, then the four session examples are there", () => {
    expect(sessionExamples.map((e) => e.name).sort()).toEqual([
      "LivenessSessionOperations_CreateLivenessSession.json",
      "LivenessSessionOperations_CreateLivenessWithVerifySession.json",
      "LivenessSessionOperations_GetLivenessSessionResult.json",
      "LivenessSessionOperations_GetLivenessWithVerifySessionResult.json",
    ]);
  });

  it.each(sessionExamples)("when $name is parsed, then it normalises to a FaceSession", ({ example }) => {
    const kind = kindOf(example.operationId);
    const session = toFaceSession(kind, example.responses["200"]?.body);
    expect(session).toMatchObject({ kind, sessionId: "b12e033e-bda7-4b83-a211-e721c661f30e", status: "NotStarted" });
    expect(session.verifyReferences !== undefined).toBe(kind === "livenessWithVerify");
    for (const attempt of session.attempts) {
      if (attempt.result?.livenessDecision !== undefined) expect(attempt.result.livenessDecision).toBe("realface");
    }
  });

  it("when the with-verify result example is parsed, then every field lands in the normalised shape", () => {
    const example = examples.find((e) => e.name === "LivenessSessionOperations_GetLivenessWithVerifySessionResult.json");
    const session = toFaceSession("livenessWithVerify", example?.example.responses["200"]?.body);
    expect(session.attempts).toEqual([
      {
        attemptId: 2,
        attemptStatus: "Succeeded",
        result: {
          livenessDecision: "realface",
          faceRectangle: { top: 669, left: 203, width: 646, height: 724 },
          digest: "B0A803BB7B26F3C8F29CD36030F8E63ED3FAF955FEEF8E01C88AB8FD89CCF761",
          sessionImageId: "Ae3PVWlXAmVAnXgkAFt1QSjGUWONKzWiSr2iPh9p9G4I",
          verifyResult: { matchConfidence: 0.08871888, isIdentical: false },
          verifyImageHash: "43B7D8E8769533C3290DBD37A84D821B2C28CB4381DF9C6784DBC4AAF7E45018",
        },
      },
      { attemptId: 1, attemptStatus: "Failed", error: { code: "FaceWithMaskDetected", message: "Mask detected on face image." } },
    ]);
    expect(session.verifyReferences).toEqual([
      { referenceType: "image", faceRectangle: { top: 316, left: 131, width: 498, height: 677 }, qualityForRecognition: "high" },
    ]);
  });
});

const rect = { top: 1, left: 2, width: 3, height: 4 };
const attempt = (result: Record<string, unknown>) => ({
  attemptId: 1,
  attemptStatus: "Succeeded",
  result: { targets: { color: { faceRectangle: rect } }, digest: "D", ...result },
});

describe("tolerance and strictness", () => {
  it("when Face adds unknown fields, then they are dropped, not rejected", () => {
    const session = toFaceSession("liveness", { ...livenessSessionReply(), somethingNew: 1 });
    expect(session).not.toHaveProperty("somethingNew");
  });

  it("when optional fields are null, then they read as absent", () => {
    const session = toFaceSession(
      "liveness",
      livenessSessionReply({ modelVersion: null, results: { attempts: [{ ...attempt({ sessionImageId: null, livenessDecision: null }), error: null }] } }),
    );
    expect(session.modelVersion).toBeUndefined();
    expect(session.attempts[0]).toEqual({ attemptId: 1, attemptStatus: "Succeeded", result: { faceRectangle: rect, digest: "D" } });
  });

  it.each(["realface", "realFace", "REALFACE"])("when livenessDecision is %s, then it reads as realface", (decision) => {
    const session = toFaceSession("liveness", livenessSessionReply({ results: { attempts: [attempt({ livenessDecision: decision })] } }));
    expect(session.attempts[0]?.result?.livenessDecision).toBe("realface");
  });

  it("when livenessDecision is a value we do not know, then the reply is rejected rather than guessed at", () => {
    const body = livenessSessionReply({ results: { attempts: [attempt({ livenessDecision: "probablyReal" })] } });
    expect(() => toFaceSession("liveness", body)).toThrow(FaceSchemaMismatch);
  });

  it("when status comes in another casing, then it reads in canonical casing", () => {
    expect(toFaceSession("liveness", livenessSessionReply({ status: "succeeded" })).status).toBe("Succeeded");
  });

  it("when a failed attempt's error has no targets, then the session still parses", () => {
    const body = livenessSessionReply({
      results: { attempts: [{ attemptId: 1, attemptStatus: "Failed", error: { code: "TimedOut", message: "Timed out." } }] },
    });
    expect(toFaceSession("liveness", body).attempts[0]?.error).toEqual({ code: "TimedOut", message: "Timed out." });
  });

  it.each([
    ["authToken is missing", { ...livenessSessionReply(), authToken: undefined }],
    ["status is unknown", livenessSessionReply({ status: "Paused" })],
    ["results is missing", { ...livenessSessionReply(), results: undefined }],
    ["a result has no digest", livenessSessionReply({ results: { attempts: [attempt({ digest: undefined })] } })],
    ["a rectangle is not an integer", livenessSessionReply({ results: { attempts: [attempt({ targets: { color: { faceRectangle: { ...rect, top: 1.5 } } } })] } })],
  ])("when %s, then FaceSchemaMismatch names the path but not the values", (_label, body) => {
    try {
      toFaceSession("liveness", body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FaceSchemaMismatch);
      expect((err as FaceSchemaMismatch).issuePaths.length).toBeGreaterThan(0);
      expect((err as Error).message).not.toContain("eyJ"); // the authToken never ends up in an error
    }
  });

  it("when a with-verify body has no verifyReferences, then it is rejected for that kind only", () => {
    const body = livenessSessionReply();
    expect(() => toFaceSession("livenessWithVerify", body)).toThrow(FaceSchemaMismatch);
    expect(toFaceSession("liveness", verifySessionReply()).kind).toBe("liveness");
  });

  it("when an error body is Face's envelope, then code and message are read; otherwise it fails", () => {
    expect(faceErrorResponseSchema.parse({ error: { code: "SessionNotFound", message: "m", extra: 1 } }).error).toEqual({
      code: "SessionNotFound",
      message: "m",
    });
    expect(faceErrorResponseSchema.safeParse({ code: "x" }).success).toBe(false);
  });
});
