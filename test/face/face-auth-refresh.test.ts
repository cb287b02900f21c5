import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.js";
import { withCredentialRefresh } from "../../src/face/face-auth-refresh.js";
import type { FaceGateway } from "../../src/face/face-gateway.js";
import { createLogger } from "../../src/logger.js";

const unauthorized = () => new AppError("LSO_ERR_UPSTREAM_AUTH", { upstreamStatus: 401 });
const session = { sessionId: "s", kind: "liveness" as const, authToken: "t", status: "NotStarted" as const, attempts: [] };

/** A gateway whose getSession fails with `failure` while the key version is `badVersion`. */
function scripted(failure: () => Error, state: { version: number; calls: number }, badVersion = 0): FaceGateway {
  const refuse = () => Promise.reject(new Error("not used"));
  return {
    getSession: async () => {
      state.calls += 1;
      if (state.version === badVersion) throw failure();
      return { value: session };
    },
    createLivenessSession: refuse,
    createLivenessWithVerifySession: refuse,
    deleteSession: refuse,
    getSessionImage: refuse,
    probe: refuse,
  };
}

describe("withCredentialRefresh", () => {
  const logger = createLogger("silent");

  it("when a 401 arrives after another call already rotated the key, then this call is retried too", async () => {
    const state = { version: 0, calls: 0 };
    const inner = scripted(unauthorized, state);
    // The refresh is throttled (it did nothing), but the key changed while the call was in flight.
    const wrapped = withCredentialRefresh(inner, { refresh: async () => false, version: () => state.version }, logger);
    const pending = wrapped.getSession("liveness", "s");
    state.version = 1;
    await expect(pending).resolves.toMatchObject({ value: { sessionId: "s" } });
    expect(state.calls).toBe(2);
  });

  it("when the key did not change, then the 401 stands and the call is made once", async () => {
    const state = { version: 0, calls: 0 };
    const wrapped = withCredentialRefresh(scripted(unauthorized, state), { refresh: async () => false, version: () => state.version }, logger);
    await expect(wrapped.getSession("liveness", "s")).rejects.toMatchObject({ code: "LSO_ERR_UPSTREAM_AUTH" });
    expect(state.calls).toBe(1);
  });

  it("when the failure is a 403 or not an auth error, then no refresh is attempted", async () => {
    for (const failure of [() => new AppError("LSO_ERR_UPSTREAM_AUTH", { upstreamStatus: 403 }), () => new AppError("LSO_ERR_UPSTREAM")]) {
      const state = { version: 0, calls: 0 };
      let refreshed = 0;
      const wrapped = withCredentialRefresh(
        scripted(failure, state),
        {
          refresh: async () => {
            refreshed += 1;
            state.version = 1;
            return true;
          },
          version: () => state.version,
        },
        logger,
      );
      await expect(wrapped.getSession("liveness", "s")).rejects.toBeInstanceOf(AppError);
      expect(refreshed).toBe(0);
      expect(state.calls).toBe(1);
    }
  });
});
