/**
 * The console's API types are generated from openapi/openapi.json (npm run console:types) and committed; this test
 * regenerates them and fails on drift, as the OpenAPI drift test does for the document itself.
 */
import { readFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import { expect, it } from "vitest";

it("when the console's API types are regenerated from openapi.json, then they equal the committed file (else run npm run console:types)", async () => {
  const ast = await openapiTS(new URL("../../openapi/openapi.json", import.meta.url));
  const committed = readFileSync(new URL("../../console/src/api/openapi.d.ts", import.meta.url), "utf8");
  expect(committed).toContain(astToString(ast));
});
