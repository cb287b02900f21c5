/** `npm run docs:config`: rewrites docs/configuration.md from the environment schema. */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CONFIGURATION_DOC_PATH, renderConfigurationDocument } from "./config-document.js";

await writeFile(CONFIGURATION_DOC_PATH, renderConfigurationDocument());
process.stdout.write(`wrote ${fileURLToPath(CONFIGURATION_DOC_PATH)}\n`);
