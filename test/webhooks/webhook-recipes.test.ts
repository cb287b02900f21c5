/**
 * The verification recipes in docs/webhooks.md, run as written: the JavaScript one (standardwebhooks) on live
 * deliveries, the standard-library Python one in a real python3 process on every test vector and a live delivery.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { VECTORS_PATH, type WebhookVector } from "../../scripts/webhook-vectors.js";
import { SECRET_NEW, SECRET_OLD, startWebhookStack, type WebhookStack } from "./webhook-kit.js";
import { flatHeaders } from "./webhook-receiver.js";

const docs = await readFile(new URL("../../docs/webhooks.md", import.meta.url), "utf8");
const vectors = (JSON.parse(await readFile(VECTORS_PATH, "utf8")) as { vectors: WebhookVector[] }).vectors;
const STRANGER = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

let stack: WebhookStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A delivered request as a receiver sees it. */
async function liveDelivery(env: Record<string, string> = {}) {
  stack = await startWebhookStack(env);
  await stack.decide((await stack.createWithCallback()).id);
  const [hook] = stack.receiver.received;
  return { headers: flatHeaders(hook!.headers), body: hook!.body };
}

describe("the JavaScript recipe", () => {
  const code = /```js\n(import \{ Webhook[\s\S]*?)```/.exec(docs)?.[1] ?? "";
  type Verdict = { action: string; event?: { id: string } };
  type Verify = (headers: Record<string, string>, rawBody: string | Buffer, secrets: string[], seen: Set<string>) => Verdict;
  const verify = new Function("Webhook", "WebhookVerificationError", `${code.replace(/^import .*$/m, "")}\nreturn verifyWebhook;`)(Webhook, WebhookVerificationError) as Verify;

  it("when it runs on a delivery, then it processes it once, flags the duplicate, and rejects tampering or a stranger's secret", async () => {
    expect(code).toContain("new Webhook(secret).verify(rawBody, headers)");
    const hook = await liveDelivery();
    const seen = new Set<string>();
    const first = verify(hook.headers, hook.body, [SECRET_NEW], seen);
    expect(first).toEqual({ action: "process", event: JSON.parse(hook.body) });
    expect(first.event!.id).toBe(hook.headers["webhook-id"]);
    expect(verify(hook.headers, Buffer.from(hook.body), [SECRET_NEW], seen)).toEqual({ action: "duplicate" });
    expect(verify(hook.headers, hook.body.replace("approved", "declined"), [SECRET_NEW], new Set())).toEqual({ action: "reject" });
    expect(verify(hook.headers, hook.body, [STRANGER], new Set())).toEqual({ action: "reject" });
  });

  it("when the server signs with new,old, then a receiver holding either secret, or both, processes it", async () => {
    const hook = await liveDelivery({ WEBHOOK_SECRET: `${SECRET_NEW},${SECRET_OLD}` });
    for (const secrets of [[SECRET_OLD], [SECRET_NEW], [STRANGER, SECRET_OLD]]) {
      expect(verify(hook.headers, hook.body, secrets, new Set()).action).toBe("process");
    }
  });
});

describe("the Python recipe (python3, standard library)", () => {
  const code = /```python\n([\s\S]*?)```/.exec(docs)?.[1] ?? "";
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lso-webhook-recipe-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  interface Case {
    name: string;
    headers: Record<string, string>;
    body: string;
    secrets: string[];
    now: number | null;
    expected: boolean;
  }

  /** Runs the recipe on each case in one python3 process; answers [name, verdict] pairs. */
  async function runPython(cases: Case[]): Promise<[string, boolean][]> {
    const script = join(dir, "recipe.py");
    const input = join(dir, "cases.json");
    await writeFile(
      script,
      `${code}\nimport json, sys\ncases = json.load(open(sys.argv[1], encoding="utf-8"))\n` +
        `print(json.dumps([[c["name"], verify_webhook(c["headers"], c["body"].encode("utf-8"), c["secrets"], c["now"])] for c in cases]))\n`,
    );
    await writeFile(input, JSON.stringify(cases));
    const { stdout } = await promisify(execFile)("python3", [script, input], { encoding: "utf8" }).catch((error: Error) => {
      throw new Error(`python3 is needed to check the Python recipe in docs/webhooks.md: ${error.message}`);
    });
    return JSON.parse(stdout) as [string, boolean][];
  }

  const headersOf = (v: WebhookVector) => ({ "webhook-id": v.id, "webhook-timestamp": String(v.timestamp), "webhook-signature": v.signature });

  it("when it checks every test vector, then each verifies with each of its secrets and fails once altered, stale or with a stranger's secret", async () => {
    expect(code).toContain("def verify_webhook(");
    const cases: Case[] = vectors.flatMap((v) => {
      const base = { headers: headersOf(v), body: v.body, now: v.timestamp + 1 };
      return [
        ...v.secrets.map((secret, i) => ({ ...base, name: `${v.name}: secret ${i + 1}`, secrets: [secret], expected: true })),
        { ...base, name: `${v.name}: body altered`, body: `${v.body} `, secrets: v.secrets, expected: false },
        { ...base, name: `${v.name}: id altered`, headers: { ...base.headers, "webhook-id": `${v.id}x` }, secrets: v.secrets, expected: false },
        { ...base, name: `${v.name}: 301 s later`, now: v.timestamp + 301, secrets: v.secrets, expected: false },
        { ...base, name: `${v.name}: stranger's secret`, secrets: [STRANGER], expected: false },
      ];
    });
    expect(await runPython(cases)).toEqual(cases.map((c) => [c.name, c.expected]));
  });

  it("when it checks a live delivery signed with new,old, then it verifies with either secret and by the wall clock", async () => {
    const hook = await liveDelivery({ WEBHOOK_SECRET: `${SECRET_NEW},${SECRET_OLD}` });
    const cases: Case[] = [
      { name: "old", headers: hook.headers, body: hook.body, secrets: [SECRET_OLD], now: null, expected: true },
      { name: "new", headers: hook.headers, body: hook.body, secrets: [SECRET_NEW], now: null, expected: true },
      { name: "stranger", headers: hook.headers, body: hook.body, secrets: [STRANGER], now: null, expected: false },
    ];
    expect(await runPython(cases)).toEqual(cases.map((c) => [c.name, c.expected]));
  });
});
