/** docs/errors.md's table and the error registry in src/errors.ts list the same codes with the same statuses. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { errorCatalog } from "../../src/errors.js";

describe("docs/errors.md", () => {
  it("when its table is read, then it holds every code of src/errors.ts once, with the registry's status, and no other", async () => {
    const doc = await readFile(new URL("../../docs/errors.md", import.meta.url), "utf8");
    const rows = [...doc.matchAll(/^\| `(LSO_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const);
    const registry = Object.entries(errorCatalog).map(([code, { status }]) => [code, status] as const);
    expect(new Set(rows.map(([code]) => code)).size).toBe(rows.length);
    expect([...rows].sort()).toEqual([...registry].sort());
  });
});
