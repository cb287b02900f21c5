/**
 * docs/configuration.md, rendered from the zod schema in src/config/config-env.ts: each variable's description, default and
 * allowed values come from the schema itself (through zod's JSON Schema of the input), so the page cannot drift from
 * what the server accepts. A test compares the committed page with a fresh rendering; `npm run docs:config` rewrites it.
 */
import { z } from "zod";
import { envSchema } from "../src/config.js";
import { productPrefixes } from "../src/lib/env-unknown.js";

export const CONFIGURATION_DOC_PATH = new URL("../docs/configuration.md", import.meta.url);

interface Property {
  description?: string;
  default?: unknown;
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  format?: string;
}

/** What a value may be, in words; empty when the description says it better (lists, JSON, free text). */
function allowed(p: Property): string {
  if (p.enum) return p.enum.map((v) => `\`${String(v)}\``).join(", ");
  if (p.type === "integer" || p.type === "number") {
    const low = p.exclusiveMinimum !== undefined ? `> ${p.exclusiveMinimum}` : p.minimum;
    const kind = p.type === "integer" ? "integer" : "number";
    if (low !== undefined && p.maximum !== undefined) return typeof low === "string" ? `${kind} ${low}, ≤ ${p.maximum}` : `${kind} ${low}–${p.maximum}`;
  }
  if (p.format === "uri") return "URL";
  return "";
}

/** Table cells hold one line of plain text: pipes would split the cell, `<x>` would vanish as HTML, `*` would emphasise. */
const cell = (text: string) =>
  text
    .replace(/[|*]/g, (c) => `\\${c}`)
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\s+/g, " ")
    .trim();

export function renderConfigurationDocument(): string {
  const schema = z.toJSONSchema(envSchema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, Property> };
  const rows = Object.entries(schema.properties).map(([name, p]) => {
    const fallback = p.default === undefined ? "unset" : `\`${String(p.default)}\``;
    return `| \`${name}\` | ${fallback} | ${cell(allowed(p))} | ${cell(p.description ?? "")} |`;
  });
  const prefixes = productPrefixes(Object.keys(envSchema.shape))
    .map((prefix) => `\`${prefix}\``)
    .join(", ");

  return `<!-- Generated from src/config/config-env.ts by \`npm run docs:config\`; do not edit by hand (a test checks it is current). -->
# Configuration

Every variable the server reads, declared once in [\`src/config/config-env.ts\`](../src/config/config-env.ts) with zod; this page is
generated from that schema. [\`.env.example\`](../.env.example) lists the same names with longer notes, grouped.

- **Where values come from.** The process environment, and \`./.env\` when it exists (read at startup with Node's
  \`process.loadEnvFile\`). A variable already set in the environment wins over the file.
- **Empty means unset.** \`NAME=\` (or only spaces) is treated as not set, so a copied \`.env.example\` is harmless.
- **Wrong values stop the start.** The server exits non-zero and names every wrong variable and why, e.g.
  \`FACE_ENDPOINT: must be the resource's origin only, with no path, query or fragment: expected
  https://<resource>.cognitiveservices.azure.com\`. Secret values are never echoed.
- **Misspelt names stop the start too.** A set variable that starts with one of the product's prefixes
  (${prefixes}) but is not listed below is refused with the nearest known name:
  \`FACE_API_KEY: unknown variable; did you mean FACE_APIKEY?\`. \`AZURE_*\` belongs to \`@azure/identity\` (see
  [credentials](credentials.md)), and Kubernetes service links (\`REDIS_SERVICE_HOST\`, \`REDIS_PORT\`, …) are ignored.
- **Combinations.** A real \`FACE_ENDPOINT\` needs \`API_KEYS\` or \`API_KEYS_SECRET_NAME\`; each \`*_SECRET_NAME\` needs
  \`KEY_VAULT_URL\`, and \`KEY_VAULT_URL\` needs at least one of them; a value and its \`*_SECRET_NAME\` are never set
  together; \`HEADERS_TIMEOUT_MS\` is at most \`REQUEST_TIMEOUT_MS\`; operator and caller keys differ. A real
  \`FACE_ENDPOINT\` also needs Redis (\`REDIS_URL\` or \`REDIS_URL_SECRET_NAME\`) unless \`STATE_BACKEND=memory\` is set;
  Redis needs \`STATE_ENCRYPTION_KEY\` (or its secret). See [state](state.md).

| Variable | Default | Allowed | Meaning |
| --- | --- | --- | --- |
${rows.join("\n")}
`;
}
