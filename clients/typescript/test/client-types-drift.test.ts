/** The client's generated types must be those of the committed document: regenerate them and compare. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CLIENT_TYPES_PATH, renderClientTypes } from "../../../scripts/client-types.js";
import { OPENAPI_PATH } from "../../../scripts/openapi-document.js";

describe("clients/typescript/src/openapi-types.ts", () => {
  it("when regenerated from openapi/openapi.json, then it equals the committed file (run `npm run openapi` if not)", async () => {
    const committed = await readFile(CLIENT_TYPES_PATH, "utf8");
    expect(await renderClientTypes(await readFile(OPENAPI_PATH, "utf8"))).toBe(committed);
  });

  it("when read, then it types every operation of the document by its operationId", async () => {
    const document = JSON.parse(await readFile(OPENAPI_PATH, "utf8")) as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = Object.values(document.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const types = await readFile(CLIENT_TYPES_PATH, "utf8");
    expect(ids.filter((id) => !types.includes(`    ${id}: {`))).toEqual([]);
    expect(ids.length).toBe(16);
  });
});
