/** `npm run openapi`: rewrites openapi/openapi.json from the route schemas. */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { OPENAPI_PATH, renderOpenApiDocument } from "./openapi-document.js";

await writeFile(OPENAPI_PATH, await renderOpenApiDocument());
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_PATH)}\n`);
