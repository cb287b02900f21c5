/**
 * CPU time of this process's main thread alone, from Linux's /proc (utime + stime of the task whose id is the pid).
 * The servers under test and the in-process emulator run on the main thread and the load on a worker thread, so
 * this is the servers' cost, whatever else the machine runs: a busy machine slows a request down but does not make
 * it use more CPU, where req/s swing with every other job. Undefined where /proc is not there.
 */
import { readFileSync } from "node:fs";

/** USER_HZ, the unit of /proc's utime and stime: 100 on every Linux build that matters here (`getconf CLK_TCK`). */
const MICROS_PER_TICK = 10_000;

export function mainThreadCpuMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces, hence the last ")"): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK;
  } catch {
    return undefined;
  }
}
