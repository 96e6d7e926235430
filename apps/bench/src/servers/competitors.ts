/**
 * The competitors: a Koa + ws tutorial room, Socket.IO 4, and Socket.IO with
 * SQLite. Their sources are TypeScript (servers/programs); they run as plain
 * JavaScript, transpiled once per benchmark run, so no TypeScript loader sits
 * in their memory or on their CPU.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import ts from 'typescript';

import { BENCH_ROOT, SERVER_NODE_FLAGS } from '../paths.js';
import { killProcess, spawnManaged, stopProcess, type ManagedProcess } from '../processes.js';
import { freePort, waitReady } from './ready.js';
import type { ServerInstance, StartContext } from './types.js';

export type CompetitorId = 'ws-naive' | 'ws-floor' | 'socketio' | 'socketio-sqlite' | 'socketio-postgres';

const LABELS: Record<CompetitorId, string> = {
  'ws-naive': 'ws-naive (Koa + ws, send loop)',
  'ws-floor': 'floor (ws, one prebuilt frame written to each socket; a reference, not a chat)',
  socketio: 'Socket.IO 4 (websocket only)',
  'socketio-sqlite': 'Socket.IO 4 + SQLite (insert per message)',
  'socketio-postgres': 'Socket.IO 4 + PostgreSQL (one INSERT per message)',
};

/** The peers that store each message before the ack (and replay rows to a rejoining client). */
const STORING: readonly CompetitorId[] = ['socketio-sqlite', 'socketio-postgres'];

/** Compiled programs live in apps/bench/dist (ignored by git and lint); node_modules resolve from there. */
const OUT_DIR = path.join(BENCH_ROOT, 'dist');

function compile(id: CompetitorId): string {
  const source = readFileSync(path.join(BENCH_ROOT, 'src/servers/programs', `${id}.ts`), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${id}.mjs`);
  writeFileSync(file, outputText);
  return file;
}

let starts = 0;

/** `env`: more environment, e.g. the DATABASE_URL of socketio-postgres. */
export async function startCompetitor(
  ctx: StartContext,
  id: CompetitorId,
  env: Record<string, string> = {},
): Promise<ServerInstance> {
  const entry = compile(id);
  const port = await freePort();
  const run = ++starts;
  const launch = (): ManagedProcess =>
    spawnManaged({
      name: id,
      command: process.execPath,
      args: [...SERVER_NODE_FLAGS, entry],
      cwd: BENCH_ROOT,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_PATH: path.join(ctx.workDir, `${id}-${run}.db`),
        ...env,
      },
      cpu: ctx.serverCpu,
      logFile: path.join(ctx.workDir, `${id}-${run}.log`),
    });
  const processes = [launch()];
  try {
    await waitReady(processes[0] as ManagedProcess, port, undefined);
  } catch (error) {
    await stopProcess(processes[0] as ManagedProcess, 2000);
    throw error;
  }
  return {
    id,
    label: LABELS[id],
    dialect: id === 'ws-naive' || id === 'ws-floor' ? 'naive' : 'socketio',
    socketIoAcks: STORING.includes(id),
    hasHistory: STORING.includes(id),
    processes,
    ports: [port],
    stop: () => stopProcess(processes[0] as ManagedProcess),
    restart: async (kind, onStopped) => {
      const running = processes[0] as ManagedProcess;
      await (kind === 'SIGKILL' ? killProcess(running) : stopProcess(running));
      onStopped?.();
      processes[0] = launch();
      await waitReady(processes[0], port, undefined);
    },
  };
}
