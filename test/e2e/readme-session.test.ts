/**
 * The README's "A whole session by hand", run as written (bash, curl, node) against the real server process, so the
 * quick start keeps working. Only the first line changes: the server and its emulator listen on free ports here.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";

const README = new URL("../../README.md", import.meta.url);
const DEFAULTS_LINE = "API=http://127.0.0.1:3000 FACE=http://127.0.0.1:5001";

/** The shell blocks of the section, in order. */
function sessionByHandScript(): string {
  const text = readFileSync(README, "utf8");
  const section = text.slice(text.indexOf("### A whole session by hand"));
  const end = section.indexOf("\n## ");
  const blocks = [...section.slice(0, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.join("\n");
}

const running: RunningProcess[] = [];
let workDir: string | undefined;
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("README, a whole session by hand", () => {
  it("when its commands run against npm start's server, then both kinds end approved and are deleted", async () => {
    const script = sessionByHandScript();
    expect(script).toContain(DEFAULTS_LINE);
    const server = startNodeProcess("src/server.ts", {});
    running.push(server);
    const [, api] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/);
    const [, face] = await server.waitFor(/"emulatorUrl":"(http:\/\/127\.0\.0\.1:\d+)"/);
    workDir = mkdtempSync(join(tmpdir(), "lso-readme-"));

    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script.replace(DEFAULTS_LINE, `API=${api} FACE=${face}`)], {
      cwd: workDir,
      env: { PATH: process.env.PATH },
    });

    expect(stdout.trim().split("\n")).toEqual(["approved", "204", "REAL_FACE,VERIFY_MATCH,DIGEST_MATCH", "approved", "204"]);
    expect(readFileSync(join(workDir, "reference.png")).subarray(1, 4).toString("latin1")).toBe("PNG");
  });
});
