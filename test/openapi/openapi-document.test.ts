/** openapi/openapi.json is generated from the code: it must be current, and it must be valid OpenAPI 3.1. */
import { readFile } from "node:fs/promises";
import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { errorCodes } from "../../src/errors.js";
import { OPENAPI_PATH, renderOpenApiDocument } from "../../scripts/openapi-document.js";

describe("openapi/openapi.json", () => {
  it("when regenerated from the routes, then it equals the committed file (run `npm run openapi` if not)", async () => {
    const committed = await readFile(OPENAPI_PATH, "utf8");
    expect(await renderOpenApiDocument()).toBe(committed);
  });

  it("when validated, then it is a valid OpenAPI 3.1 document", async () => {
    const document = JSON.parse(await readFile(OPENAPI_PATH, "utf8"));
    expect(document.openapi).toBe("3.1.0");
    const result = await validate(document);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });

  it("when read by a client author, then every route, both create encodings and every error code are documented", async () => {
    const document = JSON.parse(await readFile(OPENAPI_PATH, "utf8"));
    expect(Object.keys(document.paths).sort()).toEqual(["/admin/lockouts/{clientId}", "/healthz", "/metrics", "/readyz", "/startupz", "/v1/sessions", "/v1/sessions/{id}", "/v1/sessions/{id}/audit", "/v1/sessions/{id}/complete", "/v1/sessions/{id}/events", "/v1/sessions/{id}/events/redeliver", "/v1/sessions/{id}/image", "/v1/subjects/{subject}"]);
    expect(Object.keys(document.paths["/v1/sessions"].post.requestBody.content).sort()).toEqual(["application/json", "multipart/form-data"]);
    expect(document.components.schemas.ErrorEnvelope.properties.error.properties.code.enum.sort()).toEqual([...errorCodes].sort());
    expect(document.paths["/v1/sessions/{id}"].get.security).toEqual([{ apiKey: [] }]);
    expect(JSON.stringify(document)).not.toContain("#/$defs/");
  });
});
