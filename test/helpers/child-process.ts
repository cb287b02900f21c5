/**
 * Runs one of our entry points as a real child process (through tsx, so no build is needed) and watches its output:
 * how end-to-end tests start the server and the standalone emulator.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** tsx's loader by absolute URL, so a process started in another directory (a temp dir) still finds it. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/**
 * Ports a child gets unless the test says otherwise: 0, so no test ever binds the server's or the emulator's
 * default port (3000, 5001) and the suite runs beside `npm start`.
 */
const EPHEMERAL_PORTS = { PORT: "0", FACE_EMULATOR_PORT: "0" };

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The default working directory: an empty one, so a developer's own `.env` in the repository (which src/server.ts
 * would load) never changes what a test runs against.
 */
let emptyDir: string | undefined;
function defaultCwd(): string {
  if (emptyDir === undefined) {
    const dir = (emptyDir = mkdtempSync(join(tmpdir(), "lso-child-")));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return emptyDir;
}

export interface StartOptions {
  /** Working directory (default: an empty temp dir); `entry` is resolved against the repository root either way. */
  cwd?: string;
}

export function startNodeProcess(entry: string, env: Record<string, string | undefined>, options: StartOptions = {}): RunningProcess {
  // Only what the test passes, plus PATH/HOME: an ambient FACE_ENDPOINT or API_KEYS must not change the test.
  const child = spawn(process.execPath, ["--import", tsxLoader, join(repoRoot, entry)], {
    cwd: options.cwd ?? defaultCwd(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...EPHEMERAL_PORTS, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) {
          done();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`exited with ${code} before ${pattern}; output:\n${output}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("exit", onExit);
      };
      listeners.add(check);
      child.once("exit", onExit);
      check();
    });

  return {
    child,
    output: () => output,
    waitFor,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
