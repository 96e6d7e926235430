/** The orchestrator's side of the load generator: start it, send it commands, stop it. */
import path from 'node:path';

import { BENCH_ROOT } from '../paths.js';
import { spawnManaged, stopProcess, type ManagedProcess } from '../processes.js';
import type { CommandName, Commands, Reply, Request } from './commands.js';

export class LoadGenerator {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly process: ManagedProcess) {
    process.child.on('message', (raw: unknown) => {
      const message = raw as Reply;
      const waiter = this.waiting.get(message.seq);
      if (!waiter) return;
      this.waiting.delete(message.seq);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`load generator: ${message.error}`));
    });
    void process.exited.then(({ code, signal }) => {
      for (const waiter of this.waiting.values()) {
        waiter.reject(
          new Error(`load generator exited (${signal ?? `code ${code}`}); see ${process.logFile}`),
        );
      }
      this.waiting.clear();
    });
  }

  static start(workDir: string, cpu: number | undefined, label: string): LoadGenerator {
    const proc = spawnManaged({
      name: `loadgen-${label}`,
      command: globalThis.process.execPath,
      // @tether/protocol from its TypeScript sources (as the tests read it), not its dist.
      args: ['--conditions=@tether/source', '--import', 'tsx', path.join(BENCH_ROOT, 'src/loadgen/main.ts')],
      cwd: BENCH_ROOT,
      cpu,
      logFile: path.join(workDir, `loadgen-${label}.log`),
      ipc: true,
    });
    return new LoadGenerator(proc);
  }

  get pid(): number {
    return this.process.pid;
  }

  /** Sends a command; rejects if the generator fails it, dies, or takes longer than `timeoutMs`. */
  call<K extends CommandName>(cmd: K, args: Commands[K][0], timeoutMs: number): Promise<Commands[K][1]> {
    const seq = ++this.seq;
    return new Promise<Commands[K][1]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`load generator: ${cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(seq, {
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result as Commands[K][1]);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const request: Request = { seq, cmd, args };
      this.process.child.send(request);
    });
  }

  async stop(): Promise<void> {
    await stopProcess(this.process, 3000);
  }
}
