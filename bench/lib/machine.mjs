/** What the figures were measured on. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

export function machineInfo() {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** 1-minute load average (recorded at the start; the per-phase figure below is more telling). */
export function loadAverage() {
  return os.loadavg()[0];
}

/**
 * Clock ticks of the whole machine (busy and total) and of this process with its finished
 * children (the Python peer), from /proc; undefined where there is no /proc.
 */
function cpuSnapshot() {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const self = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the parenthesised command name start at field 3; utime, stime, cutime, cstime are 14–17.
    const own = self.slice(self.lastIndexOf(')') + 2).split(' ').slice(11, 15).map(Number).reduce((a, b) => a + b, 0);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait, own };
  } catch {
    return undefined;
  }
}

/**
 * How many cores other processes kept busy during each phase of the benchmark. Other work on a
 * shared machine (a test run, a build) slows every figure, and multi-threaded code the most: an
 * OpenMP or worker-pool barrier waits for its slowest, descheduled thread.
 */
export class CpuWatch {
  constructor(cores) {
    this.cores = cores;
    this.last = cpuSnapshot();
    this.phases = [];
  }

  /** Starts a phase now (time spent before, e.g. waiting for a quiet machine, is left out). */
  begin() {
    this.last = cpuSnapshot();
  }

  /** Ends the current phase under `name`. */
  phase(name) {
    const now = cpuSnapshot();
    this.phases.push({ phase: name, othersCores: othersCores(this.last, now, this.cores) });
    this.last = now;
  }
}

/** Cores' worth of CPU other processes used between two snapshots (null without /proc). */
function othersCores(before, after, cores) {
  const ticks = before && after ? after.total - before.total : 0;
  if (ticks <= 0) return null;
  return Math.max(0, ((after.busy - before.busy - (after.own - before.own)) / ticks) * cores);
}

/**
 * Waits until other processes use less than `threshold` cores over a 5-second window, for at
 * most `maxSeconds`. Returns the last reading (null without /proc).
 */
export async function waitForQuiet({ cores, threshold, maxSeconds, log }) {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const before = cpuSnapshot();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const others = othersCores(before, cpuSnapshot(), cores);
    if (others === null || others < threshold || Date.now() >= deadline) return others;
    log(`waiting for a quiet machine: other processes use ${others.toFixed(1)} of ${cores} cores`);
  }
}

/** A stable file-name tag for this machine kind, e.g. "dev-2core" (hostnames change per container). */
export function defaultTag() {
  return `dev-${os.availableParallelism()}core`;
}
