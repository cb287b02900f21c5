/**
 * The Face emulator in a child process of its own, for figures that must count the server's CPU alone:
 * process.cpuUsage() counts every thread of this process, so an in-process emulator's work would be counted too.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface EmulatorProcess {
  url: string;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("../src/emulator/emulator-server.ts", import.meta.url));

export async function startEmulatorProcess(apiKey: string): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    env: { ...process.env, FACE_EMULATOR_PORT: "0", FACE_EMULATOR_HOST: "127.0.0.1", FACE_APIKEY: apiKey, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const lines = createInterface({ input: child.stdout });
  let url: string | undefined;
  for await (const line of lines) {
    const parsed = safeJson(line);
    if (typeof parsed?.url === "string") {
      url = parsed.url;
      break;
    }
  }
  if (!url) throw new Error("the emulator process exited before it listened");
  // Its later log lines are read and dropped, so a full pipe never blocks it.
  lines.on("line", () => undefined);
  return {
    url,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function safeJson(line: string): { url?: unknown } | undefined {
  try {
    return JSON.parse(line) as { url?: unknown };
  } catch {
    return undefined;
  }
}
