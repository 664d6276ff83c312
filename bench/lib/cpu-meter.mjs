// CPU accounting over a run window: broker process (/proc/<pid>/stat), this client (process.cpuUsage) and the
// whole machine (/proc/stat). All figures are % of ONE core, so a 2-core machine tops out at 200 %.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const CLK_TCK = readClockTicks();

function readClockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100; // the Linux default; only used if getconf is missing
  }
}

/**
 * The fields of /proc/<pid>/stat after comm (so fields[0] is field 3, state), or undefined if the process is gone.
 * comm (field 2) may contain spaces or ')', so split after the LAST ')'.
 */
export function procStatFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of pid in clock ticks (fields 14/15), or undefined if the process is gone or /proc is absent. */
function processTicks(pid) {
  const fields = procStatFields(pid);
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12]);
}

/** utime + stime of pid in seconds, or undefined if the process is gone or /proc is absent. */
export function processCpuSeconds(pid) {
  const ticks = processTicks(pid);
  return ticks === undefined ? undefined : ticks / CLK_TCK;
}

/** Clock ticks per second of /proc's CPU times. */
export function clockTicksPerSecond() {
  return CLK_TCK;
}

/** Busy and total jiffies summed over all cores, or undefined off Linux. */
export function machineTicks() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user..steal; guest is already in user
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3] - v[4], total }; // idle and iowait are not busy
  } catch {
    return undefined;
  }
}

/** Starts measuring; call the returned stop() at the end of the window (e.g. at the last delivery). */
export function startCpuMeter(brokerPid) {
  const startNs = process.hrtime.bigint();
  const startClient = process.cpuUsage();
  const startBroker = brokerPid === undefined ? undefined : processTicks(brokerPid);
  const startMachine = machineTicks();
  const cores = os.availableParallelism();
  return {
    /**
     * extraClientMicros: CPU of helper processes (the latency consumer) counted as client time.
     * foreignPct is what neither broker nor client used: other tenants of the machine, i.e. noise.
     */
    stop({ extraClientMicros = 0 } = {}) {
      const wallSec = Number(process.hrtime.bigint() - startNs) / 1e9;
      const used = process.cpuUsage(startClient);
      const clientPct = ((used.user + used.system + extraClientMicros) / 1e6 / wallSec) * 100;
      let brokerPct;
      if (startBroker !== undefined) {
        const end = processTicks(brokerPid);
        if (end !== undefined) brokerPct = ((end - startBroker) / CLK_TCK / wallSec) * 100;
      }
      let machinePct;
      let foreignPct;
      const endMachine = machineTicks();
      if (startMachine && endMachine && endMachine.total > startMachine.total) {
        const busy = endMachine.busy - startMachine.busy;
        machinePct = (busy / (endMachine.total - startMachine.total)) * cores * 100;
        if (brokerPct !== undefined) foreignPct = Math.max(0, machinePct - brokerPct - clientPct);
      }
      return { wallSec, clientPct, brokerPct, machinePct, foreignPct };
    },
  };
}

/** True if pid names a readable process; run.mjs checks --broker-pid up front rather than report blanks. */
export function isReadablePid(pid) {
  return processTicks(pid) !== undefined;
}
