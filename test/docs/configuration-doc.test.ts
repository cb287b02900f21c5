/** docs/configuration.md is generated from the environment schema: it must be current and list every variable. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CONFIGURATION_DOC_PATH, renderConfigurationDocument } from "../../scripts/config-document.js";
import { envSchema } from "../../src/config.js";

describe("docs/configuration.md", () => {
  it("when regenerated from the schema, then it equals the committed file (run `npm run docs:config` if not)", async () => {
    expect(renderConfigurationDocument()).toBe(await readFile(CONFIGURATION_DOC_PATH, "utf8"));
  });

  it("when read, then it has one row for every variable, with its default", async () => {
    const doc = await readFile(CONFIGURATION_DOC_PATH, "utf8");
    const rows = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]!.trim()]);
    expect(rows.map(([name]) => name)).toEqual(Object.keys(envSchema.shape));
    expect(Object.fromEntries(rows)).toMatchObject({ PORT: "`3000`", FACE_ENDPOINT: "unset", LOG_LEVEL: "`info`", DELETE_AFTER_DECISION: "`true`" });
  });
});
