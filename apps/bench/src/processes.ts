/**
 * Child processes of the benchmark: each started pinned to a core (taskset,
 * when present) with its open-file limit raised to the hard limit, its output
 * in a log file, and killed when the benchmark exits, fails or is interrupted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: () => boolean;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Core to pin to with taskset; undefined runs unpinned. */
  cpu?: number | undefined;
  logFile: string;
  /** Opens a Node IPC channel (the load generator). */
  ipc?: boolean;
}

const live = new Set<ManagedProcess>();

let tasksetChecked: boolean | undefined;

/** Whether `taskset` exists and works here. */
export function hasTaskset(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetChecked;
}

export function hardFileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? 1_048_576 : Number(out) || 1024;
}

/** The open-file limit a running process has (from /proc/PID/limits). */
export function fileLimitOf(pid: number): number | undefined {
  const out = spawnSync('cat', [`/proc/${pid}/limits`], { encoding: 'utf8' }).stdout;
  const line = out.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s+/)[3];
  return soft === undefined ? undefined : soft === 'unlimited' ? 1_048_576 : Number(soft);
}

export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const pinned =
    options.cpu !== undefined && hasTaskset()
      ? ['taskset', '-c', String(options.cpu), options.command, ...options.args]
      : [options.command, ...options.args];
  // sh raises the soft open-file limit to the hard one, then execs: the pid we
  // get is the pid of the program itself (taskset execs too).
  const log = openSync(options.logFile, 'a');
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pinned], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  let exited = false;
  const managed: ManagedProcess = {
    name: options.name,
    pid: child.pid,
    child,
    logFile: options.logFile,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exited = true;
        live.delete(managed);
        resolve({ code, signal });
      });
    }),
    hasExited: () => exited,
  };
  live.add(managed);
  return managed;
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(p: ManagedProcess, graceMs = 12_000): Promise<void> {
  if (p.hasExited()) return;
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([
    p.exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (killed) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** SIGKILL (a crash: no shutdown code runs) and wait for the exit. */
export async function killProcess(p: ManagedProcess): Promise<void> {
  if (p.hasExited()) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Kills every child still running (synchronous: safe in an 'exit' handler). */
export function killAll(): void {
  for (const p of live) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

let installed = false;

/** Children die with the benchmark, whichever way it ends. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping every child process\n`);
      killAll();
      process.exit(130);
    });
  }
}
