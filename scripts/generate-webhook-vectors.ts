/** `npm run webhook-vectors`: rewrites docs/webhooks/vectors.json with our signer. */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderWebhookVectors, VECTORS_PATH } from "./webhook-vectors.js";

await mkdir(new URL(".", VECTORS_PATH), { recursive: true });
await writeFile(VECTORS_PATH, renderWebhookVectors());
process.stdout.write(`wrote ${fileURLToPath(VECTORS_PATH)}\n`);
