/**
 * promtool for the metrics suites: where it is (decided once per run by promtool-global-setup.ts), and a runner that
 * feeds it stdin and returns its exit code and output. `itPromtool` is `it`, or `it.skip` when the run has no
 * promtool (the global setup printed the one line that says so).
 */
import { spawn } from "node:child_process";
import { inject, it } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    promtool: string | null;
  }
}

export const promtoolPath: string | null = inject("promtool");

export const itPromtool = promtoolPath ? it : it.skip;

export function promtool(args: string[], stdin = ""): Promise<{ code: number | null; output: string }> {
  if (!promtoolPath) throw new Error("no promtool in this run");
  const child = spawn(promtoolPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}
