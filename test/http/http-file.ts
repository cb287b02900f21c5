/**
 * Reads a .http request file as the VS Code REST Client and the JetBrains HTTP Client share it: `@name = value` file
 * variables, requests separated by `###`, `# @name` request names, `{{variable}}` references, and REST Client
 * request variables (`{{request.response.body.$.field}}`), resolved from the answers of earlier requests.
 */
export interface HttpRequestSpec {
  name: string;
  method: string;
  /** As written, variables unresolved. */
  url: string;
  headers: Array<[string, string]>;
  body: string | undefined;
}

export interface HttpFile {
  variables: Map<string, string>;
  requests: HttpRequestSpec[];
}

const VARIABLE = /^@([A-Za-z_][\w-]*)\s*=\s*(.*)$/;
const NAME = /^#\s*@name\s+(\S+)/;

export function parseHttpFile(text: string): HttpFile {
  const variables = new Map<string, string>();
  const requests: HttpRequestSpec[] = [];
  for (const [index, block] of text.split(/^###.*$/m).entries()) {
    let name = `#${index}`;
    let requestLine: string | undefined;
    const headers: Array<[string, string]> = [];
    const body: string[] = [];
    let section: "preamble" | "headers" | "body" = "preamble";
    for (const line of block.split("\n")) {
      if (section === "body") {
        body.push(line);
        continue;
      }
      const trimmed = line.trim();
      const named = NAME.exec(trimmed);
      if (named) name = named[1]!;
      if (named || trimmed.startsWith("#") || trimmed.startsWith("//")) continue;
      if (section === "preamble") {
        const variable = VARIABLE.exec(trimmed);
        if (variable) variables.set(variable[1]!, variable[2]!.trim());
        else if (trimmed) [requestLine, section] = [trimmed, "headers"];
      } else if (trimmed === "") {
        section = "body";
      } else {
        const colon = trimmed.indexOf(":");
        headers.push([trimmed.slice(0, colon).trim(), trimmed.slice(colon + 1).trim()]);
      }
    }
    if (!requestLine) continue;
    const [first, ...rest] = requestLine.split(/\s+/);
    const method = /^[A-Z]+$/.test(first!) && rest.length > 0 ? first! : "GET";
    const url = method === first ? rest[0]! : first!;
    const text = body.join("\n").trim();
    requests.push({ name, method, url, headers, body: text === "" ? undefined : text });
  }
  return { variables, requests };
}

/** Answers of earlier requests, by request name, for request variables. */
export type Answers = Map<string, unknown>;

/** Replaces every {{reference}}: file variables (themselves resolved), then request variables from `answers`. */
export function resolve(text: string, variables: Map<string, string>, answers: Answers, depth = 0): string {
  if (depth > 10) throw new Error(`variables nest too deep in ${text}`);
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_match, reference: string) => {
    const value = variables.get(reference);
    if (value !== undefined) return resolve(value, variables, answers, depth + 1);
    const request = /^([\w-]+)\.response\.body\.\$\.([\w.]+)$/.exec(reference);
    if (!request || !answers.has(request[1]!)) throw new Error(`unresolved variable {{${reference}}}`);
    const found = request[2]!.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], answers.get(request[1]!));
    if (typeof found !== "string" && typeof found !== "number") throw new Error(`{{${reference}}} is not in the answer of ${request[1]}`);
    return String(found);
  });
}
