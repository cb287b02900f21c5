/**
 * The Key Vault form of the caller list: the API_KEYS line format, or JSON that also carries each client's policy:
 *   {"clients": {"acme": {"keys": ["<key>", "sha256:<hex>"], "policy": {"allowedKinds": ["liveness"]}}}}
 * Both forms go through the same key parser, so their rules cannot drift apart.
 */
import { z } from "zod";
import { callerPolicySchema, type CallerPolicies } from "../lib/caller-policy.js";
import { parseApiKeyList, type ApiKeyEntry } from "../lib/api-key-list.js";

const directorySchema = z.strictObject({
  clients: z.record(
    z.string(),
    z.strictObject({ keys: z.array(z.string()).min(1).max(10), policy: callerPolicySchema.optional() }),
  ),
});

export interface CallerDirectory {
  keys: ApiKeyEntry[];
  policies: CallerPolicies;
}

export interface ParsedDirectory {
  directory: CallerDirectory;
  problems: string[];
}

export function parseCallerDirectory(raw: string): ParsedDirectory {
  if (!raw.trim().startsWith("{")) {
    const { entries, problems } = parseApiKeyList(raw);
    return { directory: { keys: entries, policies: {} }, problems };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { directory: { keys: [], policies: {} }, problems: ["not valid JSON"] };
  }
  const parsed = directorySchema.safeParse(json);
  if (!parsed.success) {
    // Paths and messages only: zod does not echo input values in these messages, and keys are secrets.
    const problems = parsed.error.issues.map((i) => `${i.path.filter((p) => p !== "keys").join(".")}: ${i.message}`);
    return { directory: { keys: [], policies: {} }, problems };
  }
  const lines = Object.entries(parsed.data.clients).flatMap(([clientId, c]) => c.keys.map((key) => `${clientId}:${key}`));
  const { entries, problems } = parseApiKeyList(lines.join(","));
  const policies: CallerPolicies = {};
  for (const [clientId, c] of Object.entries(parsed.data.clients)) if (c.policy) policies[clientId] = c.policy;
  return { directory: { keys: entries, policies }, problems };
}
