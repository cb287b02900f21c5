import { describe, expect, it } from "vitest";

import { faceGuardEnvSchema, faceGuardOptionsFromEnv } from "../../src/config.js";
import { faceGuardDefaults, resolveFaceGuardOptions } from "../../src/face/face-guard-options.js";

describe("face guard options", () => {
  it("when no variable is set, then the defaults fit an S0 resource and match faceGuardDefaults", () => {
    const env = faceGuardEnvSchema.parse({});
    expect(env).toEqual({
      FACE_MAX_TPS: 10,
      FACE_BACKGROUND_SHARE: 0.3,
      FACE_MAX_QUEUE: 100,
      FACE_MAX_WAIT_MS: 2000,
      FACE_RETRY_MAX_ATTEMPTS: 3,
      FACE_BREAKER_FAILURES: 5,
      FACE_BREAKER_COOLDOWN_MS: 10_000,
    });
    expect(faceGuardOptionsFromEnv(env)).toEqual(faceGuardDefaults);
  });

  it("when values are given as strings, then they are coerced and mapped onto the options", () => {
    const env = faceGuardEnvSchema.parse({
      FACE_MAX_TPS: "0.33",
      FACE_BACKGROUND_SHARE: "0.5",
      FACE_MAX_QUEUE: "0",
      FACE_MAX_WAIT_MS: "500",
      FACE_RETRY_MAX_ATTEMPTS: "1",
      FACE_BREAKER_FAILURES: "2",
      FACE_BREAKER_COOLDOWN_MS: "1000",
    });
    expect(faceGuardOptionsFromEnv(env)).toEqual({
      maxTps: 0.33,
      backgroundShare: 0.5,
      maxQueue: 0,
      maxWaitMs: 500,
      retry: { maxAttempts: 1 },
      breaker: { failureThreshold: 2, cooldownMs: 1000 },
    });
  });

  it.each([
    ["FACE_MAX_TPS", "0"],
    ["FACE_MAX_TPS", "fast"],
    ["FACE_BACKGROUND_SHARE", "0"],
    ["FACE_BACKGROUND_SHARE", "1.5"],
    ["FACE_MAX_QUEUE", "-1"],
    ["FACE_MAX_WAIT_MS", "1.5"],
    ["FACE_RETRY_MAX_ATTEMPTS", "0"],
    ["FACE_BREAKER_FAILURES", "0"],
    ["FACE_BREAKER_COOLDOWN_MS", "10"],
  ])("when %s is %s, then parsing fails naming it", (name, value) => {
    const result = faceGuardEnvSchema.safeParse({ [name]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([name]);
  });

  it("when the schema is merged into a config, then every variable carries a description", () => {
    for (const [name, schema] of Object.entries(faceGuardEnvSchema.shape)) {
      expect(schema.description?.length ?? 0, name).toBeGreaterThan(20);
    }
  });

  it("when nothing else is said, then the burst is one call at any rate, so calls are spaced evenly", () => {
    expect(resolveFaceGuardOptions({ ...faceGuardDefaults, maxTps: 0.33 }).burst).toBe(1);
    expect(resolveFaceGuardOptions(faceGuardDefaults)).toMatchObject({ burst: 1, backgroundShare: 0.3, retry: { maxAttempts: 3, budgetMs: 5000 } });
  });
});
