/** `npm run openapi`: rewrites openapi/openapi.json from the route schemas, and the typed client's types from it. */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CLIENT_TYPES_PATH, renderClientTypes } from "./client-types.js";
import { OPENAPI_PATH, renderOpenApiDocument } from "./openapi-document.js";

const document = await renderOpenApiDocument();
await writeFile(OPENAPI_PATH, document);
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_PATH)}\n`);
await writeFile(CLIENT_TYPES_PATH, await renderClientTypes(document));
process.stdout.write(`wrote ${fileURLToPath(CLIENT_TYPES_PATH)}\n`);
