import { readFile } from "node:fs/promises";

import { Ajv, type ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";

/**
 * Validates response bodies against the official Face v1.2 OpenAPI document (swagger 2.0), read at test time from
 * `shared/face/face-v1.2.json` beside the repo. Every object in it is closed (`additionalProperties: false` where the
 * spec says nothing), so a field the spec does not define fails too: the emulator must not invent fields a client
 * could come to rely on.
 */
export const FACE_SPEC_URL = new URL("../../../shared/face/face-v1.2.json", import.meta.url);

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `.default` is the plugin
// (it points at itself, so this holds under vitest's interop too).
const addFormats = formatsModule.default;

interface SwaggerOperation {
  responses: Record<string, { schema?: { $ref?: string; type?: string }; headers?: Record<string, unknown> }>;
}
interface SwaggerDocument {
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, Record<string, unknown>>;
}

function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (node === null || typeof node !== "object") return;
  const schema = node as Record<string, unknown>;
  if (schema.properties && typeof schema.properties === "object" && schema.additionalProperties === undefined) {
    schema.additionalProperties = false;
  }
  Object.values(schema).forEach(closeObjects);
}

export interface FaceSpecValidator {
  spec: SwaggerDocument;
  /** The spec's declared response for that path, method and status (`default` when the status is not listed). */
  responseOf(path: string, method: string, status: number): SwaggerOperation["responses"][string];
  /** Error messages, or an empty array when `body` matches the response schema. */
  validate(path: string, method: string, status: number, body: unknown): string[];
}

export async function loadFaceSpecValidator(): Promise<FaceSpecValidator> {
  const spec = JSON.parse(await readFile(FACE_SPEC_URL, "utf8")) as SwaggerDocument;
  const closed = structuredClone(spec);
  closeObjects(closed.definitions);
  // Swagger 2.0 schemas are draft-04-like; strict:false lets ajv skip x-ms-* and other swagger-only keywords.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(closed, "face");
  const compiled = new Map<string, ValidateFunction>();

  const responseOf = (path: string, method: string, status: number) => {
    const operation = spec.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${path} is not in the Face spec`);
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) throw new Error(`${method} ${path} declares no ${status} or default response`);
    return response;
  };

  const validate = (path: string, method: string, status: number, body: unknown): string[] => {
    const ref = responseOf(path, method, status).schema?.$ref;
    if (!ref) throw new Error(`${method} ${path} ${status} has no JSON body schema`);
    let check = compiled.get(ref);
    if (!check) {
      check = ajv.compile({ $ref: `face${ref}` });
      compiled.set(ref, check);
    }
    return check(body) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
  };

  return { spec, responseOf, validate };
}
