/**
 * `.env` in the working directory, read by the real server process with Node's own loader: the file fills what the
 * environment leaves unset, the environment wins, and a typo in the file stops the start like one in the environment.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startNodeProcess, type RunningProcess } from "../helpers/child-process.js";

const running: RunningProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startIn(envFile: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lso-env-file-"));
  dirs.push(dir);
  writeFileSync(join(dir, ".env"), envFile);
  const proc = startNodeProcess("src/server.ts", env, { cwd: dir });
  running.push(proc);
  return proc;
}

const FILE_KEY = "file-client-key-0123456789abcdef";

describe("the server's .env file", () => {
  it("when .env and the environment both set variables, then the file fills the gaps and the environment wins", async () => {
    // The helper sets PORT=0 in the environment; were the file's PORT used, startup would fail naming PORT.
    const server = startIn(`# comment\nPORT=not-a-port\nAPI_KEYS=file:${FILE_KEY}\n`);
    const [, api] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"API ready"/);

    // The caller key came from the file: it authenticates (404 for an unknown session, not 401).
    const read = await fetch(`${api!}/v1/sessions/00000000-0000-4000-8000-000000000000`, { headers: { "x-api-key": FILE_KEY } });
    expect(read.status).toBe(404);
    expect(server.output()).not.toContain("development key");
    expect(server.output()).not.toContain(FILE_KEY);
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("when .env holds a misspelt variable, then the server exits non-zero naming it and the nearest known one", async () => {
    const server = startIn("FACE_API_KEY=a-face-key-0123456789\n");
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("FACE_API_KEY: unknown variable; did you mean FACE_APIKEY?");
    expect(server.output()).not.toContain("a-face-key-0123456789");
  });
});
