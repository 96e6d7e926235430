/**
 * CPU and memory of a process from /proc: CPU time from /proc/PID/stat
 * (utime + stime, all threads), RSS and its high-water mark from
 * /proc/PID/status. Also what the machine is, for the report.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function getconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
}

const CLOCK_TICKS = getconf('CLK_TCK', 100);

/** CPU seconds used so far by `pid`, or undefined if it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS;
}

function statusField(pid: number, field: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set size over the process's life, in bytes. */
export function peakRssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** CPU use of several processes over an interval, as % of one core. */
export class CpuMeter {
  private readonly start = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly pids: readonly number[]) {}

  begin(): this {
    this.startedAt = performance.now();
    for (const pid of this.pids) this.start.set(pid, cpuSeconds(pid) ?? 0);
    return this;
  }

  /** % of one core per pid since `begin`. */
  end(): Map<number, number> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const out = new Map<number, number>();
    for (const [pid, used] of this.used()) out.set(pid, seconds > 0 ? (100 * used) / seconds : 0);
    return out;
  }

  /** CPU seconds per pid since `begin`. */
  used(): Map<number, number> {
    const out = new Map<number, number>();
    for (const pid of this.pids) out.set(pid, (cpuSeconds(pid) ?? 0) - (this.start.get(pid) ?? 0));
    return out;
  }
}

/** Busy and total jiffies of one core from /proc/stat (busy: all but idle and iowait). */
export function parseCoreTimes(stat: string, core: number): { busy: number; total: number } | undefined {
  const line = stat.split('\n').find((l) => l.startsWith(`cpu${core} `));
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * How busy one core was over an interval, every process on the machine
 * counted: beside the CPU of our own processes on that core it shows
 * whether other load took the rest (a shared machine), so a phase that did
 * not fill the core with our processes is not mistaken for one that waited.
 */
export class CoreBusy {
  private start: { busy: number; total: number } | undefined;

  constructor(private readonly core: number) {}

  private read(): { busy: number; total: number } | undefined {
    try {
      return parseCoreTimes(readFileSync('/proc/stat', 'utf8'), this.core);
    } catch {
      return undefined;
    }
  }

  begin(): this {
    this.start = this.read();
    return this;
  }

  /** % of the core busy since `begin`; undefined where /proc/stat has no such core. */
  end(): number | undefined {
    const now = this.read();
    if (!this.start || !now || now.total <= this.start.total) return undefined;
    return (100 * (now.busy - this.start.busy)) / (now.total - this.start.total);
  }
}

/** Samples RSS every `everyMs` while running and keeps the largest value. */
export class RssPeak {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;

  constructor(
    private readonly pids: readonly number[],
    private readonly everyMs = 50,
  ) {}

  begin(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  /** Largest sum of the processes' RSS seen, in bytes. */
  end(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }

  private sample(): void {
    let total = 0;
    for (const pid of this.pids) total += rssBytes(pid) ?? 0;
    if (total > this.peak) this.peak = total;
  }
}

/**
 * Waits until RSS stops moving (two samples `stepMs` apart within 1 %), up
 * to `maxMs`; returns the last value. Used for "after settling".
 */
export async function settledRss(pid: number, stepMs = 500, maxMs = 6000): Promise<number> {
  const deadline = performance.now() + maxMs;
  let last = rssBytes(pid) ?? 0;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    const now = rssBytes(pid) ?? 0;
    if (Math.abs(now - last) <= last * 0.01) return now;
    last = now;
  }
  return last;
}

/**
 * RSS once a full GC has run: signals the preload every benchmarked server
 * carries (preload/gc-on-signal.mjs), then waits for RSS to settle.
 */
export async function rssAfterGc(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 500));
  return settledRss(pid);
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  memoryGiB: number;
  date: string;
  loadAverage: [number, number, number];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    loadAverage: [l1, l5, l15].map((x) => Math.round(x * 100) / 100) as [number, number, number],
  };
}
