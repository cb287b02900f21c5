import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/config.js";

/** Variables that decide how long something is kept. */
const RETENTION_LIKE = /RETENTION|_TTL_|MAX_AGE|LOCKOUT_WINDOW|LOCKOUT_COOLDOWN|DELETE_AFTER/;

describe("docs/privacy.md", () => {
  it("when the config schema has a retention-like variable, then the privacy page names it", async () => {
    const page = await readFile(new URL("../../docs/privacy.md", import.meta.url), "utf8");
    const variables = Object.keys(envSchema.shape).filter((name) => RETENTION_LIKE.test(name));
    expect(variables).toContain("SESSION_IMAGE_RETENTION_SECONDS");
    expect(variables.filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
  });

  it("when read, then it says what Face keeps and for how long", async () => {
    const page = await readFile(new URL("../../docs/privacy.md", import.meta.url), "utf8");
    expect(page).toContain("48 hours");
  });
});
